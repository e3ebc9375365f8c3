"""``tmle``: the outcome model fluctuated on the logit scale so that the weighted residual is zero.

A substitution estimator in [0, 1] with the DR's influence function; the
weights' overlap gates on the labelled rows apply. Needs fresh draws.
"""

from __future__ import annotations

from typing import Final

from cje_fp.estimation.estimators._fresh import FreshEstimator
from cje_fp.estimation.estimators._protocol import Estimator

__all__ = ["ESTIMATOR"]

ESTIMATOR: Final[Estimator] = FreshEstimator(
    name="tmle",
    summary="fresh draws: TMLE, the outcome model fluctuated on the logit scale with the weighted labelled "
    "rows (DR's influence function, values in [0, 1])",
)
