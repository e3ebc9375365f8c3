"""IPS, SNIPS and their clipped variants: pure functions of arrays.

Inputs are the log weights, rewards, prompt clusters and jackknife groups of
the rows used (``TargetArrays``) and, for calibrated rewards, the oracle
labels' residuals. Every estimator returns a ``PointRun``: the value, its
centred influence function and delete-a-group jackknife replicates (one per
non-empty group). Weights are formed from log weights with log-sum-exp; IPS
(Horvitz-Thompson, unnormalised) fails with ``WeightOverflow`` or
``WeightUnderflow`` rather than return inf or an underflowed zero.

**Residual (oracle) correction.** With calibrated rewards ``f(S)`` a judge
that is noisy given the calibrated score leaves ``E_target[f(S)] !=
E_target[Y]`` whenever the target prefers responses that are better (or worse)
than their judge score says; the incumbent's plug-in is biased exactly then.
When ``residuals`` ``r = Y - f_oof(S)`` are given on the labelled rows, every
estimator adds the weighted mean residual over the labelled rows (the
prediction-powered / AIPW form, cross-fitted because ``f_oof`` never saw the
row's fold)::

    psi = sum(w f) / sum(w) + sum_L(w r) / sum_L(w)      (self-normalised)
    psi = mean(w f)          + mean_L(w r)               (Horvitz-Thompson)

and its influence ``(n / sum_L w) L w (r - delta)`` (or ``(n / n_L) L (w r -
delta)``) is added to the plug-in's, so the standard error counts the labels'
sampling noise. The fitted map's own variability cancels to first order (the
correction is unbiased for any fixed map), so no fold jackknife is added.

>>> import numpy as np
>>> arrays = TargetArrays(
...     log_weights=np.log(np.array([0.5, 1.5, 1.0, 1.0])), rewards=np.array([1.0, 0.0, 1.0, 0.0]),
...     reward_replicates=None, clusters=np.arange(4), groups=np.array([0, 1, 0, 1]), n_groups=2,
... )
>>> snips(arrays).value, ips(arrays).map(lambda run: run.value)
(0.375, <Success: 0.375>)
>>> corrected = attrs.evolve(
...     arrays, labelled=np.array([True, True, False, False]), residuals=np.array([-0.2, 0.2, 0.0, 0.0])
... )
>>> round(snips(corrected).value - snips(arrays).value, 6)  # (0.5 * -0.2 + 1.5 * 0.2) / 2
0.1
"""

from __future__ import annotations

import math
from typing import Final, Literal, TypeAlias

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import BoolArray, FloatArray, IntArray
from cje_fp.estimation._errors import WeightOverflow, WeightUnderflow
from cje_fp.scoring import log_sum_exp

#: The largest log weight whose exponential is a finite float64.
MAX_LOG_WEIGHT: Final = math.log(np.finfo(np.float64).max)

#: Below this log weight, ``exp`` gives a subnormal or zero: no usable precision.
MIN_LOG_WEIGHT: Final = math.log(np.finfo(np.float64).tiny)

Sampling: TypeAlias = Literal["influence", "jackknife"]


@attrs.frozen(kw_only=True, eq=False)
class TargetArrays:
    """The arrays an estimator needs for one target, on the rows used."""

    log_weights: FloatArray
    rewards: FloatArray
    """The reward of every row: the oracle label, or the calibrated judge score ``f(S)``."""
    reward_replicates: FloatArray | None
    """Rewards under each fold's calibration map, shape (K, n), for the plug-in's fold jackknife
    (OUA); None otherwise (in particular with the residual correction)."""
    clusters: IntArray
    groups: IntArray
    """Delete-a-group jackknife group of each row (by prompt)."""
    n_groups: int
    index_codes: IntArray | None = None
    """Level of the weight-calibration index per row (calibrated IPS only)."""
    index_levels: FloatArray | None = None
    inner_folds: IntArray | None = None
    labelled: BoolArray | None = None
    """Rows with an oracle label, for the residual correction (None: no correction)."""
    residuals: FloatArray | None = None
    """``Y - f_oof(S)`` on labelled rows, 0 elsewhere."""

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
    """Delete-a-group replicates of the estimate, one per non-empty group."""
    oracle_replicates: FloatArray | None
    final_weights: FloatArray
    """The weights the value was computed with, scaled to mean one."""
    sampling: Sampling = "influence"
    n_clipped: int = 0
    correction: float | None = None
    """The residual correction included in ``value`` (None: none applied)."""
    correction_influence: FloatArray | None = None
    """The correction's part of ``influence``."""
    correction_replicates: FloatArray | None = None
    """The correction's part of ``group_replicates``."""


def present_groups(groups: IntArray, n_groups: int) -> BoolArray:
    """Which of the ``n_groups`` groups hold at least one row."""
    present: BoolArray = np.bincount(groups, minlength=n_groups) > 0
    return present


def group_ratio(numerator: FloatArray, denominator: FloatArray, groups: IntArray, n_groups: int) -> FloatArray:
    """Delete-a-group replicates of ``sum(numerator) / sum(denominator)``, one per non-empty group."""
    numerator_by_group = np.bincount(groups, weights=numerator, minlength=n_groups)
    denominator_by_group = np.bincount(groups, weights=denominator, minlength=n_groups)
    kept = denominator.sum() - denominator_by_group
    with np.errstate(invalid="ignore", divide="ignore"):
        replicates: FloatArray = (numerator.sum() - numerator_by_group) / kept
    return replicates[present_groups(groups, n_groups)]


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


@attrs.frozen(kw_only=True, eq=False)
class Correction:
    """The residual correction: its value, influence and jackknife replicates."""

    value: float
    influence: FloatArray
    replicates: FloatArray


def label_correction(arrays: TargetArrays, weights: FloatArray, *, normalised: bool) -> Correction | None:
    """The weighted mean residual over the labelled rows (None without residuals).

    ``normalised``: divide by the labelled rows' weight sum (Hajek), else by
    their count (Horvitz-Thompson, ``weights`` being raw weights).
    """
    labelled, residuals = arrays.labelled, arrays.residuals
    if labelled is None or residuals is None:
        return None
    n = arrays.n
    labelled_weights = np.where(labelled, weights, 0.0)
    products = labelled_weights * residuals
    if normalised:
        total = float(labelled_weights.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = float(products.sum()) / total if total > 0 else math.nan
            influence = n * labelled_weights * (residuals - delta) / total
        replicates = group_ratio(products, labelled_weights, arrays.groups, arrays.n_groups)
    else:
        count = int(labelled.sum())
        delta = float(products.sum()) / count if count else math.nan
        influence = (n / max(count, 1)) * np.where(labelled, products - delta, 0.0)
        replicates = group_ratio(products, labelled.astype(np.float64), arrays.groups, arrays.n_groups)
    return Correction(value=delta, influence=influence, replicates=replicates)


def with_correction(run: PointRun, correction: Correction | None) -> PointRun:
    """``run`` with the residual correction added to its value, influence and replicates."""
    if correction is None:
        return run
    return attrs.evolve(
        run,
        value=run.value + correction.value,
        influence=run.influence + correction.influence,
        group_replicates=run.group_replicates + correction.replicates,
        correction=correction.value,
        correction_influence=correction.influence,
        correction_replicates=correction.replicates,
    )


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
    run = PointRun(
        value=value,
        influence=influence,
        group_replicates=group_ratio(weights * rewards, weights, arrays.groups, arrays.n_groups),
        oracle_replicates=oracle,
        final_weights=weights,
        n_clipped=n_clipped,
    )
    return with_correction(run, label_correction(arrays, weights, normalised=True))


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


def on_policy(arrays: TargetArrays) -> PointRun:
    """The base policy's own value: the mean reward of the logged rows (weights all one)."""
    rewards = arrays.rewards
    value = float(rewards.mean())
    ones = np.ones_like(rewards)
    run = PointRun(
        value=value,
        influence=rewards - value,
        group_replicates=group_ratio(rewards, ones, arrays.groups, arrays.n_groups),
        oracle_replicates=None if arrays.reward_replicates is None else arrays.reward_replicates.mean(axis=1),
        final_weights=ones,
    )
    return with_correction(run, label_correction(arrays, ones, normalised=True))
