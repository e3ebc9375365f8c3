"""``direct``: the calibrated judge averaged over the target's fresh draws (per prompt, then over prompts).

The reward model is the judge -> oracle map cross-fitted on the labelled logged
rows, with the labelled residuals re-weighted to the target's judge
distribution; valid when the calibration transports (the transport audit
checks it on a probe slice). Needs fresh draws (``ExtraInputs.fresh``).
"""

from __future__ import annotations

from typing import Final

from cje_fp.estimation.estimators._fresh import FreshEstimator
from cje_fp.estimation.estimators._protocol import Estimator

__all__ = ["ESTIMATOR"]

ESTIMATOR: Final[Estimator] = FreshEstimator(
    name="direct",
    summary="fresh draws: the calibrated judge averaged over the target's draws, with the oracle-residual "
    "correction (needs the calibration to transport: the probe audit checks it)",
)
