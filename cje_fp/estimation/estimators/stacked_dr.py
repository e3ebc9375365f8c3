"""``stacked-dr``: the convex combination of direct, DR and TMLE with the smallest influence variance.

DR and TMLE join only when the weights pass their gates (the estimate says
so otherwise); direct leaves the stack when DR says the calibration does not
transport. Its SE is the combined influence function's. Needs fresh draws.
"""

from __future__ import annotations

from typing import Final

from cje_fp.estimation.estimators._fresh import FreshEstimator
from cje_fp.estimation.estimators._protocol import Estimator

__all__ = ["ESTIMATOR"]

ESTIMATOR: Final[Estimator] = FreshEstimator(
    name="stacked-dr",
    summary="fresh draws: the minimum-variance convex combination of direct, DR and TMLE (its own "
    "influence-function SE); DR and TMLE join only when the weights pass their gates",
)
