"""``dr``: doubly robust, the direct term on fresh draws plus the importance-weighted residual on logged rows.

Valid when the calibration transports **or** the teacher-forced weights are
right; the weights' overlap gates on the labelled rows apply (a refusal is
``InsufficientOverlap``). Needs fresh draws (``ExtraInputs.fresh``).
"""

from __future__ import annotations

from typing import Final

from cje_fp.estimation.estimators._fresh import FreshEstimator
from cje_fp.estimation.estimators._protocol import Estimator

__all__ = ["ESTIMATOR"]

ESTIMATOR: Final[Estimator] = FreshEstimator(
    name="dr",
    summary="fresh draws: doubly robust, the cross-fitted outcome model on the target's draws plus the "
    "importance-weighted residual on the labelled logged rows",
)
