"""Calibrated IPS (SIMCal): weights projected monotonically on the calibrated-reward index.

The weights are replaced by an estimate of ``E[w | index]``: isotonic
projections of the mean-one weights on the index, increasing and decreasing,
mixed. Three choices differ from the incumbent (cje-eval 0.3), whose stack
picks the flat, wrong-direction fit when a target strongly prefers better (or
worse) responses and then returns the base policy's value with a tight CI:

1. The mix is chosen to **predict the weights** out of fold (least squares over
   inner folds), not to minimise the estimate's variance. A flat fit explains
   none of the weights' relation to the index, so it only wins when there is no
   such relation, which is exactly when flattening is unbiased.
2. The standard error comes from a **delete-a-group jackknife that refits the
   projection** (groups by prompt hash), so it includes the variability of the
   fitted weights. The incumbent's influence function treats the projected
   weights as fixed and drops the term ``(w - E[w|s]) (R - psi)``.
3. A **bias guard**: the shift from SNIPS, ``D = psi_cal - psi_snips``, has its
   own jackknife SE. If ``|D| > guard_z * SE(D)`` the projection is rejected
   (the result is SNIPS, with the rejection recorded), because a correct
   projection moves the estimate by less than its noise.
4. The projection is kept only if it **pays**: its jackknife variance plus the
   excess squared shift ``max(0, D^2 - Var(D))`` must be below SNIPS's jackknife
   variance. Otherwise the status is ``not_better`` and the result is SNIPS.
   (Projection pools neighbouring index levels; where the weights rise steeply
   with the reward, that pooling shrinks toward the base value and costs more
   bias than it saves variance.)

The variance cap (blend toward uniform weights when ``Var(c) > var_cap``) is
off by default: blending toward uniform weights pulls the estimate toward the
base policy's value. All fitting happens in "level space": rows are summarised
by (group, inner fold, index level), so the refits cost O(levels), not O(rows).
"""

from __future__ import annotations

import math
from typing import Literal, TypeAlias

import attrs
import numpy as np

from cje_fp.calibration import pooled_isotonic
from cje_fp.dataset import FloatArray
from cje_fp.estimators.core import PointRun, TargetArrays, mean_one, snips
from cje_fp.estimators.inference import jackknife_variance

WeightCalibrationStatus: TypeAlias = Literal["applied", "rejected", "not_better"]


@attrs.frozen(kw_only=True)
class SimcalConfig:
    """Options of the weight calibration."""

    n_groups: int = attrs.field(default=20, validator=attrs.validators.ge(2))
    """Delete-a-group jackknife groups (by prompt hash)."""
    group_seed: int = 1042
    inner_folds: int = attrs.field(default=3, validator=attrs.validators.ge(2))
    """Folds used to choose the increasing/decreasing mix out of fold."""
    inner_seed: int = 7
    max_levels: int = attrs.field(default=512, validator=attrs.validators.ge(2))
    """An index with more distinct values is binned into this many quantile levels."""
    var_cap: float | None = None
    guard_z: float = attrs.field(default=3.0, validator=attrs.validators.gt(0.0))


@attrs.frozen(kw_only=True)
class WeightCalibration:
    """What the weight calibration did."""

    status: WeightCalibrationStatus
    increasing_share: float
    """Share of the increasing projection in the mix (1 = increasing only)."""
    blend: float
    """How far the variance cap blended the weights toward uniform (0 = not at all)."""
    shift: float
    """``psi_calibrated - psi_snips``."""
    shift_se: float
    ess_fraction: float
    """ESS fraction of the calibrated weights (for information: gates use the raw weights)."""


def _project(
    level_values: FloatArray,
    sums: FloatArray,
    counts: FloatArray,
    fold_sums: FloatArray,
    fold_counts: FloatArray,
    var_cap: float | None,
) -> tuple[FloatArray, float, float]:
    """Calibrated weight per level (mean one over the rows), the increasing share, the blend."""
    increasing = pooled_isotonic(level_values, sums, counts, increasing=True)
    decreasing = pooled_isotonic(level_values, sums, counts, increasing=False)
    numerator = 0.0
    denominator = 0.0
    for fold in range(fold_sums.shape[0]):
        train_counts = counts - fold_counts[fold]
        if fold_counts[fold].sum() == 0 or train_counts.sum() == 0:
            continue
        train_sums = sums - fold_sums[fold]
        up = pooled_isotonic(level_values, train_sums, train_counts, increasing=True)
        down = pooled_isotonic(level_values, train_sums, train_counts, increasing=False)
        difference = up - down
        numerator += float(np.dot(difference, fold_sums[fold] - fold_counts[fold] * down))
        denominator += float(np.dot(fold_counts[fold], difference**2))
    share = min(1.0, max(0.0, numerator / denominator)) if denominator > 0 else 0.5
    levels = share * increasing + (1.0 - share) * decreasing
    n = counts.sum()
    levels = levels / (np.dot(counts, levels) / n)
    blend = 0.0
    if var_cap is not None:
        variance = float(np.dot(counts, (levels - 1.0) ** 2) / n)
        if variance > var_cap:
            blend = 1.0 - math.sqrt(var_cap / variance)
            levels = 1.0 + (1.0 - blend) * (levels - 1.0)
    return levels, share, blend


def calibrated_ips(arrays: TargetArrays, config: SimcalConfig) -> tuple[PointRun, WeightCalibration]:
    """SIMCal-weighted SNIPS with a refitting group jackknife and a bias guard against SNIPS."""
    if arrays.index_codes is None or arrays.index_levels is None or arrays.inner_folds is None:
        raise ValueError("calibrated IPS needs the index levels and inner folds")
    weights = mean_one(arrays.log_weights)
    rewards = arrays.rewards
    codes, level_values = arrays.index_codes, arrays.index_levels
    n_levels = level_values.size
    n_groups, n_folds = arrays.n_groups, config.inner_folds
    cell = (arrays.groups * n_folds + arrays.inner_folds) * n_levels + codes
    size = n_groups * n_folds * n_levels
    weight_cells = np.bincount(cell, weights=weights, minlength=size).reshape(n_groups, n_folds, n_levels)
    count_cells = np.bincount(cell, minlength=size).astype(np.float64).reshape(n_groups, n_folds, n_levels)
    group_level = arrays.groups * n_levels + codes
    reward_cells = np.bincount(group_level, weights=rewards, minlength=n_groups * n_levels).reshape(
        n_groups, n_levels
    )

    def fit(kept_weights: FloatArray, kept_counts: FloatArray) -> tuple[FloatArray, float, float]:
        return _project(
            level_values,
            kept_weights.sum(axis=0),
            kept_counts.sum(axis=0),
            kept_weights,
            kept_counts,
            config.var_cap,
        )

    all_weights, all_counts = weight_cells.sum(axis=0), count_cells.sum(axis=0)
    level_weights, share, blend = fit(all_weights, all_counts)
    level_counts, level_rewards = all_counts.sum(axis=0), reward_cells.sum(axis=0)
    value = float(np.dot(level_weights, level_rewards) / np.dot(level_weights, level_counts))

    replicates = np.empty(n_groups)
    for group in range(n_groups):
        kept_weights = all_weights - weight_cells[group]
        kept_counts = all_counts - count_cells[group]
        group_weights, _, _ = fit(kept_weights, kept_counts)
        kept_rewards = level_rewards - reward_cells[group]
        replicates[group] = np.dot(group_weights, kept_rewards) / np.dot(group_weights, kept_counts.sum(axis=0))

    baseline = snips(arrays)
    shift = value - baseline.value
    shift_variance, _ = jackknife_variance(replicates - baseline.group_replicates)
    shift_se = math.sqrt(shift_variance)
    final = level_weights[codes]
    ess = float(final.sum() ** 2 / np.sum(final**2) / final.size)
    calibrated_variance, _ = jackknife_variance(replicates)
    snips_variance, _ = jackknife_variance(baseline.group_replicates)
    estimated_mse = calibrated_variance + max(0.0, shift**2 - shift_variance)
    status: WeightCalibrationStatus = "applied"
    if abs(shift) > config.guard_z * shift_se:
        status = "rejected"
    elif estimated_mse >= snips_variance:
        status = "not_better"
    info = WeightCalibration(
        status=status,
        increasing_share=share,
        blend=blend,
        shift=shift,
        shift_se=shift_se,
        ess_fraction=ess,
    )
    if status != "applied":
        return baseline, info
    influence = final * (rewards - value)
    oracle = None
    if arrays.reward_replicates is not None:
        oracle = arrays.reward_replicates @ final / final.sum()
    run = PointRun(
        value=value,
        influence=influence - influence.mean(),
        group_replicates=replicates,
        oracle_replicates=oracle,
        final_weights=final,
        sampling="jackknife",
    )
    return run, info
