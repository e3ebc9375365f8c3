"""``clipped-snips``: self-normalised IPS with mean-one weights capped at ``EstimationConfig.clip_at``.

The weights are clipped on the mean-one scale and rescaled to mean one; the
number of clipped rows is reported.
"""

from __future__ import annotations

from typing import ClassVar, Final, final

import attrs
from returns.result import Result, Success

from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._protocol import Estimator, EstimatorContext, EstimatorInputs, EstimatorRun
from cje_fp.estimation.estimators.snips import snips

__all__ = ["ESTIMATOR", "ClippedSnips"]


@final
@attrs.frozen
class ClippedSnips:
    """SNIPS with mean-one weights clipped at ``clip_at``."""

    name: ClassVar[str] = "clipped-snips"
    summary: ClassVar[str] = "self-normalised IPS with mean-one weights clipped at clip_at (default 100)"
    normalisation: ClassVar[WeightNormalisation] = "self-normalised"
    inputs: ClassVar[EstimatorInputs] = "logged"

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun, EstimationError]:
        return Success(EstimatorRun(point=snips(context.arrays, context.config.clip_at)))


ESTIMATOR: Final[Estimator] = ClippedSnips()
