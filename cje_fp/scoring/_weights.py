"""Importance weights kept in log space.

Weights are ``exp(log_weight)``; with sequence-level log ratios of hundreds of
nats they overflow or underflow in linear space, so everything here works on
log weights and shifts by the maximum before exponentiating (log-sum-exp).

>>> import numpy as np
>>> log_weights = np.array([1000.0, 1000.0 + np.log(3.0)])
>>> normalized_weights(log_weights)
array([0.25, 0.75])
>>> round(effective_sample_size(log_weights), 6)
1.6
"""

from __future__ import annotations

from functools import partial

import numpy as np
import numpy.typing as npt
from returns.result import Result, Success

from cje_fp.errors import BaseFailed, LogProbError, TargetFailed, WeightError
from cje_fp.policy import LogProbResult

FloatArray = npt.NDArray[np.float64]


def _finite(log_weights: npt.ArrayLike) -> FloatArray:
    array = np.asarray(log_weights, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"log weights must be one-dimensional, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("log weights must be finite; mask failed cells before this step")
    return array


def log_sum_exp(values: npt.ArrayLike) -> float:
    """``log(sum(exp(values)))`` without overflow; ``-inf`` for no values.

    >>> round(log_sum_exp([-1000.0, -1000.0]) + 1000.0, 9)
    0.693147181
    """
    array = _finite(values)
    if array.size == 0:
        return float("-inf")
    peak = float(array.max())
    return peak + float(np.log(np.exp(array - peak).sum()))


def log_normalized_weights(log_weights: npt.ArrayLike) -> FloatArray:
    """Log of the self-normalised weights (they sum to one)."""
    array = _finite(log_weights)
    return array - log_sum_exp(array)


def normalized_weights(log_weights: npt.ArrayLike) -> FloatArray:
    """Self-normalised weights ``w_i / sum(w)``, computed from log weights."""
    return np.exp(log_normalized_weights(log_weights))


def mean_one_weights(log_weights: npt.ArrayLike) -> FloatArray:
    """Self-normalised weights scaled to mean one (the Hajek weights)."""
    normalized = normalized_weights(log_weights)
    return normalized * normalized.size


def effective_sample_size(log_weights: npt.ArrayLike) -> float:
    """Kish's ESS ``(sum w)^2 / sum w^2``, computed in log space.

    >>> round(effective_sample_size([5.0, 5.0, 5.0, 5.0]), 9)
    4.0
    """
    array = _finite(log_weights)
    if array.size == 0:
        return 0.0
    return float(np.exp(2.0 * log_sum_exp(array) - log_sum_exp(2.0 * array)))


def _base_failed(error: LogProbError) -> WeightError:
    return BaseFailed(error=error)


def _target_failed(error: LogProbError) -> WeightError:
    return TargetFailed(error=error)


def log_weight(base: LogProbResult, target: LogProbResult) -> Result[float, WeightError]:
    """``lp_target - lp_base``, or why it does not exist (the base is checked first).

    >>> from returns.result import Failure, Success
    >>> from cje_fp.errors._log_prob import Timeout
    >>> log_weight(Success(-3.0), Success(-1.0))
    <Success: 2.0>
    >>> log_weight(Failure(Timeout()), Success(-1.0))
    <Failure: BaseFailed(error=Timeout(seconds=None, request_hash=''))>
    """
    base_value, target_value = base.value_or(None), target.value_or(None)
    if base_value is not None and target_value is not None:
        return Success(target_value - base_value)  # both in: once per target and row, the usual case
    return base.alt(_base_failed).bind(partial(_minus_from_target, target))


def _minus_from_target(target: LogProbResult, base_value: float) -> Result[float, WeightError]:
    return target.alt(_target_failed).map(partial(_subtract, base_value))


def _subtract(base_value: float, target_value: float) -> float:
    return target_value - base_value
