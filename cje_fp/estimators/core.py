"""IPS, SNIPS and their clipped variants: pure functions of arrays.

Inputs are the log weights, rewards, per-fold rewards for the oracle jackknife,
prompt clusters and jackknife groups of the rows used (``TargetArrays``). Every
estimator returns a ``PointRun``: the value, its centred influence function,
delete-a-group jackknife replicates and oracle-fold replicates. Weights are
formed from log weights with log-sum-exp; IPS (Horvitz-Thompson, unnormalised)
fails with ``WeightOverflow`` rather than return inf.

>>> import numpy as np
>>> arrays = TargetArrays(
...     log_weights=np.log(np.array([0.5, 1.5, 1.0, 1.0])), rewards=np.array([1.0, 0.0, 1.0, 0.0]),
...     reward_replicates=None, clusters=np.arange(4), groups=np.array([0, 1, 0, 1]), n_groups=2,
... )
>>> snips(arrays).value, ips(arrays).map(lambda run: run.value)
(0.375, <Success: 0.375>)
"""

from __future__ import annotations

import math
from typing import Final, Literal, TypeAlias

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.dataset import FloatArray, IntArray
from cje_fp.estimation_errors import WeightOverflow
from cje_fp.weights import log_sum_exp

#: The largest log weight whose exponential is a finite float64.
MAX_LOG_WEIGHT: Final = math.log(np.finfo(np.float64).max)

Sampling: TypeAlias = Literal["influence", "jackknife"]


@attrs.frozen(kw_only=True, eq=False)
class TargetArrays:
    """The arrays an estimator needs for one target, on the rows used."""

    log_weights: FloatArray
    rewards: FloatArray
    reward_replicates: FloatArray | None
    """Rewards under each fold's calibration map, shape (K, n); None without calibration."""
    clusters: IntArray
    groups: IntArray
    """Delete-a-group jackknife group of each row (by prompt hash)."""
    n_groups: int
    index_codes: IntArray | None = None
    """Level of the weight-calibration index per row (calibrated IPS only)."""
    index_levels: FloatArray | None = None
    inner_folds: IntArray | None = None

    @property
    def n(self) -> int:
        """Rows used."""
        return self.log_weights.size


@attrs.frozen(kw_only=True, eq=False)
class PointRun:
    """What an estimator computed, before inference."""

    value: float
    influence: FloatArray
    """Centred per-row influence of the estimate (its mean is the linearised error)."""
    group_replicates: FloatArray
    oracle_replicates: FloatArray | None
    final_weights: FloatArray
    """The weights the value was computed with, scaled to mean one."""
    sampling: Sampling = "influence"
    n_clipped: int = 0


def _group_ratio(numerator: FloatArray, denominator: FloatArray, groups: IntArray, n_groups: int) -> FloatArray:
    """Delete-a-group replicates of ``sum(numerator) / sum(denominator)``."""
    numerator_by_group = np.bincount(groups, weights=numerator, minlength=n_groups)
    denominator_by_group = np.bincount(groups, weights=denominator, minlength=n_groups)
    kept = denominator.sum() - denominator_by_group
    with np.errstate(invalid="ignore", divide="ignore"):
        replicates: FloatArray = (numerator.sum() - numerator_by_group) / kept
    return replicates


def mean_one(log_weights: FloatArray) -> FloatArray:
    """Self-normalised weights scaled to mean one, from log weights."""
    return np.exp(log_weights - log_sum_exp(log_weights)) * log_weights.size


def clip_mean_one(weights: FloatArray, clip_at: float) -> tuple[FloatArray, int]:
    """Clip mean-one weights at ``clip_at`` and rescale to mean one; and how many were clipped."""
    clipped = weights > clip_at
    if not clipped.any():
        return weights, 0
    limited = np.minimum(weights, clip_at)
    return limited / limited.mean(), int(clipped.sum())


def snips(arrays: TargetArrays, clip_at: float | None = None) -> PointRun:
    """Self-normalised IPS (Hajek): ``sum w R / sum w``; optionally clipped (mean-one scale)."""
    weights = mean_one(arrays.log_weights)
    n_clipped = 0
    if clip_at is not None:
        weights, n_clipped = clip_mean_one(weights, clip_at)
    rewards = arrays.rewards
    value = float(np.dot(weights, rewards) / weights.sum())
    influence = weights * (rewards - value)
    influence -= influence.mean()
    oracle = (
        None
        if arrays.reward_replicates is None
        else arrays.reward_replicates @ weights / weights.sum()
    )
    return PointRun(
        value=value,
        influence=influence,
        group_replicates=_group_ratio(weights * rewards, weights, arrays.groups, arrays.n_groups),
        oracle_replicates=oracle,
        final_weights=weights,
        n_clipped=n_clipped,
    )


def ips(arrays: TargetArrays, clip_at: float | None = None) -> Result[PointRun, WeightOverflow]:
    """Horvitz-Thompson IPS: ``mean(w R)`` with raw weights ``w = exp(log w)``; optionally clipped."""
    log_weights = arrays.log_weights
    n_clipped = 0
    if clip_at is not None:
        limit = math.log(clip_at)
        n_clipped = int(np.sum(log_weights > limit))
        log_weights = np.minimum(log_weights, limit)
    peak = float(log_weights.max())
    if peak > MAX_LOG_WEIGHT - math.log(max(arrays.n, 1)):
        return Failure(WeightOverflow(target="", max_log_weight=peak))
    weights = np.exp(log_weights)
    rewards = arrays.rewards
    products = weights * rewards
    value = float(products.mean())
    influence = products - value
    oracle = None if arrays.reward_replicates is None else (arrays.reward_replicates @ weights) / arrays.n
    return Success(
        PointRun(
            value=value,
            influence=influence,
            group_replicates=_group_ratio(products, np.ones_like(products), arrays.groups, arrays.n_groups),
            oracle_replicates=oracle,
            final_weights=weights / weights.mean() if weights.mean() > 0 else weights,
            n_clipped=n_clipped,
        )
    )


def on_policy(arrays: TargetArrays) -> PointRun:
    """The base policy's own value: the mean reward of the logged rows (weights all one)."""
    rewards = arrays.rewards
    value = float(rewards.mean())
    ones = np.ones_like(rewards)
    return PointRun(
        value=value,
        influence=rewards - value,
        group_replicates=_group_ratio(rewards, ones, arrays.groups, arrays.n_groups),
        oracle_replicates=None if arrays.reward_replicates is None else arrays.reward_replicates.mean(axis=1),
        final_weights=ones,
    )
