"""``ips``: Horvitz-Thompson importance sampling (unnormalised), ``mean(w R)``.

Raw weights ``w = exp(log w)``: IPS fails with ``WeightOverflow`` or
``WeightUnderflow`` rather than return inf or an underflowed zero. It divides
by n, not by the weights' sum, so it has one overlap gate more than the
self-normalised estimators (mean weight away from one refuses it).

>>> import numpy as np
>>> arrays = TargetArrays(
...     log_weights=np.log(np.array([0.5, 1.5, 1.0, 1.0])), rewards=np.array([1.0, 0.0, 1.0, 0.0]),
...     reward_replicates=None, clusters=np.arange(4), groups=np.array([0, 1, 0, 1]), n_groups=2,
... )
>>> ips(arrays).map(lambda run: run.value)
<Success: 0.375>
"""

from __future__ import annotations

import math
from typing import ClassVar, Final, final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.estimation._errors import EstimationError, WeightOverflow, WeightUnderflow
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays, group_ratio
from cje_fp.estimation.estimators._correction import label_correction, with_correction
from cje_fp.estimation.estimators._protocol import Estimator, EstimatorContext, EstimatorInputs, EstimatorRun

__all__ = ["ESTIMATOR", "Ips", "ips"]

#: The largest log weight whose exponential is a finite float64.
MAX_LOG_WEIGHT: Final = math.log(np.finfo(np.float64).max)

#: Below this log weight, ``exp`` gives a subnormal or zero: no usable precision.
MIN_LOG_WEIGHT: Final = math.log(np.finfo(np.float64).tiny)


def ips(arrays: TargetArrays, clip_at: float | None = None) -> Result[PointRun, WeightOverflow | WeightUnderflow]:
    """Horvitz-Thompson IPS: ``mean(w R)`` with raw weights ``w = exp(log w)``; optionally clipped.

    Fails when the weights' sum would overflow, or when every weight underflows
    (the sum is then below float precision, not an estimate of zero).
    """
    log_weights = arrays.log_weights
    n_clipped = 0
    if clip_at is not None:
        limit = math.log(clip_at)
        n_clipped = int(np.sum(log_weights > limit))
        log_weights = np.minimum(log_weights, limit)
    peak = float(log_weights.max())
    if peak > MAX_LOG_WEIGHT - math.log(max(arrays.n, 1)):
        return Failure(WeightOverflow(target="", max_log_weight=peak))
    if peak < MIN_LOG_WEIGHT:
        return Failure(WeightUnderflow(target="", max_log_weight=peak))
    weights = np.exp(log_weights)
    rewards = arrays.rewards
    products = weights * rewards
    value = float(products.mean())
    influence = products - value
    oracle = None if arrays.reward_replicates is None else (arrays.reward_replicates @ weights) / arrays.n
    scaled = np.exp(log_weights - peak)
    run = PointRun(
        value=value,
        influence=influence,
        group_replicates=group_ratio(products, np.ones_like(products), arrays.groups, arrays.n_groups),
        oracle_replicates=oracle,
        final_weights=scaled / scaled.mean(),
        n_clipped=n_clipped,
    )
    return Success(with_correction(run, label_correction(arrays, weights, normalised=False)))


@final
@attrs.frozen
class Ips:
    """Horvitz-Thompson IPS on the raw weights."""

    name: ClassVar[str] = "ips"
    summary: ClassVar[str] = "Horvitz-Thompson IPS: mean(w R) with raw weights (refused when the mean weight is not 1)"
    normalisation: ClassVar[WeightNormalisation] = "unnormalised"
    inputs: ClassVar[EstimatorInputs] = "logged"

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun, EstimationError]:
        return ips(context.arrays).map(EstimatorRun.of).alt(_widen)


def _widen(error: WeightOverflow | WeightUnderflow) -> EstimationError:
    return error


ESTIMATOR: Final[Estimator] = Ips()
