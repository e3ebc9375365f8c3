"""``clipped-ips``: Horvitz-Thompson IPS with raw weights capped at ``EstimationConfig.clip_at``.

Clipping trades bias for variance; the number of clipped rows is reported.
Being unnormalised, it has IPS's gates.
"""

from __future__ import annotations

from typing import ClassVar, Final, final

import attrs
from returns.result import Result

from cje_fp.estimation._errors import EstimationError, WeightOverflow, WeightUnderflow
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._protocol import Estimator, EstimatorContext, EstimatorInputs, EstimatorRun
from cje_fp.estimation.estimators.ips import ips

__all__ = ["ESTIMATOR", "ClippedIps"]


@final
@attrs.frozen
class ClippedIps:
    """IPS with raw weights clipped at ``clip_at``."""

    name: ClassVar[str] = "clipped-ips"
    summary: ClassVar[str] = "Horvitz-Thompson IPS with raw weights clipped at clip_at (default 100)"
    normalisation: ClassVar[WeightNormalisation] = "unnormalised"
    inputs: ClassVar[EstimatorInputs] = "logged"

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun, EstimationError]:
        return ips(context.arrays, context.config.clip_at).map(EstimatorRun.of).alt(_widen)


def _widen(error: WeightOverflow | WeightUnderflow) -> EstimationError:
    return error


ESTIMATOR: Final[Estimator] = ClippedIps()
