"""SIMCal, the weight calibration behind ``calibrated-ips``: weights projected monotonically on an index.

The weights are replaced by an estimate of ``E[w | index]``: a mix of isotonic
projections of the mean-one weights on the index (increasing, decreasing) and
of the flat fit (uniform weights). Choices that differ from the incumbent
(cje-eval 0.3), whose stack picks the flat, wrong-direction fit when a target
strongly prefers better (or worse) responses and then returns the base
policy's value with a tight CI:

1. The mix is chosen to **predict the weights** out of fold (least squares over
   inner folds, on the simplex), not to minimise the estimate's variance. A flat
   fit explains none of the weights' relation to the index, so it only wins
   when there is no such relation, which is exactly when flattening is unbiased.
2. The standard error comes from a **delete-a-group jackknife that refits the
   projection and the mix** (groups by prompt), so it includes the variability
   of the fitted weights. The incumbent's influence function treats the
   projected weights as fixed and drops the term ``(w - E[w|s]) (R - psi)``.
   When ``R`` is a function of the index that term makes the two estimators
   first-order equivalent: projection gains only through pooling neighbouring
   index levels, a finite-sample smoothing. The refitting jackknife is
   conservative for this non-smooth fit (in the known-truth studies its
   intervals covered 0.99 when the projection was applied).
3. A **bias guard**: the shift from SNIPS, ``D = psi_cal - psi_snips``, has its
   own jackknife SE, taken as the smaller of the jackknife SE and its median
   absolute deviation version, so that one group holding a giant weight cannot
   inflate it and disarm the guard. If ``|D| > guard_z * SE(D)`` the projection
   is rejected (the result is SNIPS, with the rejection recorded).
4. The projection is kept only if it **pays**: its jackknife variance plus the
   excess squared shift ``max(0, D^2 - SE(D)^2)`` must be below SNIPS's jackknife
   variance. Otherwise the status is ``not_better`` and the result is SNIPS.
   Where the weights rise steeply with the reward, pooling shrinks toward the
   base value and costs more bias than it saves; where the weights are noisy
   but flat in the index (a target differing from the base by noise), it pays.
5. **No projection on weights that fail the overlap gates** (status
   ``skipped``, the result is SNIPS, flagged): projecting weights cannot
   create overlap, and on the arena sample it turned an ESS of 0.008 into a
   cosmetic 0.88 around a number far from the truth.

With the residual correction (calibrated rewards), both the projected estimate
and SNIPS carry the same correction, computed with the raw weights.

The variance cap (blend toward uniform weights when ``Var(c) > var_cap``) is
off by default: blending toward uniform weights pulls the estimate toward the
base policy's value. All fitting happens in "level space": rows are summarised
by (group, inner fold, index level), so the refits cost O(levels), not O(rows).
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias, final

import attrs
import numpy as np

from cje_fp.data import FloatArray
from cje_fp.estimation._inference import jackknife_se, robust_jackknife_se
from cje_fp.estimation.diagnostics import ess_fraction_of_weights
from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays, present_groups
from cje_fp.estimation.estimators._correction import label_correction, with_correction
from cje_fp.estimation.estimators._projection import project
from cje_fp.estimation.estimators.snips import snips
from cje_fp.scoring import mean_one_weights

WeightCalibrationStatus: TypeAlias = Literal["applied", "rejected", "not_better", "skipped"]

#: A shift from SNIPS this small is rounding (e.g. weights all equal): never a reason to reject.
_ROUNDING: Final = 1e-12


@final
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
    """Reject the projection when it moves the estimate by more than this many SEs of the shift."""


@final
@attrs.frozen(kw_only=True)
class WeightCalibration:
    """What the weight calibration did."""

    status: WeightCalibrationStatus
    increasing_share: float | None
    """Share of the increasing projection in the mix (1 = increasing only); None when skipped."""
    flat_share: float | None
    """Share of the flat fit (uniform weights) in the mix; None when skipped."""
    blend: float | None
    """How far the variance cap blended the weights toward uniform (0 = not at all); None when skipped."""
    shift: float | None
    """``psi_calibrated - psi_snips``; None when skipped."""
    shift_se: float | None
    """Robust jackknife SE of ``shift`` (the smaller of the jackknife SE and its MAD version)."""
    ess_fraction: float | None
    """ESS fraction of the calibrated weights (for information: gates use the raw weights)."""


def calibrated_ips(
    arrays: TargetArrays, config: SimcalConfig, *, allowed: bool = True
) -> tuple[PointRun, WeightCalibration]:
    """SIMCal-weighted SNIPS with a refitting group jackknife and a bias guard against SNIPS.

    ``allowed=False`` (the raw weights fail the overlap gates) skips the
    projection: SNIPS is returned with status ``skipped``. With residuals in
    ``arrays`` both the calibrated estimate and SNIPS carry the same residual
    correction, computed with the **raw** (mean-one) weights: the residual
    ``Y - f(S)`` is not a function of the index, so projected weights would
    not estimate its weighted mean.
    """
    if arrays.index_codes is None or arrays.index_levels is None or arrays.inner_folds is None:
        raise ValueError("calibrated IPS needs the index levels and inner folds")
    baseline = snips(arrays)
    if not allowed:
        return baseline, WeightCalibration(
            status="skipped",
            increasing_share=None,
            flat_share=None,
            blend=None,
            shift=None,
            shift_se=None,
            ess_fraction=None,
        )
    weights = mean_one_weights(arrays.log_weights)
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

    def fit(kept_weights: FloatArray, kept_counts: FloatArray) -> tuple[FloatArray, FloatArray, float]:
        return project(
            level_values,
            kept_weights.sum(axis=0),
            kept_counts.sum(axis=0),
            kept_weights,
            kept_counts,
            config.var_cap,
        )

    all_weights, all_counts = weight_cells.sum(axis=0), count_cells.sum(axis=0)
    level_weights, shares, blend = fit(all_weights, all_counts)
    level_counts, level_rewards = all_counts.sum(axis=0), reward_cells.sum(axis=0)
    plug_in = float(np.dot(level_weights, level_rewards) / np.dot(level_weights, level_counts))

    groups = np.flatnonzero(present_groups(arrays.groups, n_groups))
    plug_in_replicates = np.empty(groups.size)
    for position, group in enumerate(groups.tolist()):
        kept_weights = all_weights - weight_cells[group]
        kept_counts = all_counts - count_cells[group]
        group_weights, _, _ = fit(kept_weights, kept_counts)
        kept_rewards = level_rewards - reward_cells[group]
        plug_in_replicates[position] = np.dot(group_weights, kept_rewards) / np.dot(
            group_weights, kept_counts.sum(axis=0)
        )
    final = level_weights[codes]
    influence = final * (rewards - plug_in)
    oracle = None
    if arrays.reward_replicates is not None:
        oracle = arrays.reward_replicates @ final / final.sum()
    run = with_correction(
        PointRun(
            value=plug_in,
            influence=influence - influence.mean(),
            group_replicates=plug_in_replicates,
            oracle_replicates=oracle,
            final_weights=final,
            sampling="jackknife",
        ),
        label_correction(arrays, weights, normalised=True),
    )

    shift = run.value - baseline.value
    shift_replicates = run.group_replicates - baseline.group_replicates
    shift_se = min(jackknife_se(shift_replicates)[0], robust_jackknife_se(shift_replicates))
    ess = ess_fraction_of_weights(final)
    calibrated_se, _ = jackknife_se(run.group_replicates)
    snips_se, _ = jackknife_se(baseline.group_replicates)
    estimated_mse = calibrated_se**2 + max(0.0, shift**2 - shift_se**2)
    status: WeightCalibrationStatus = "applied"
    if abs(shift) > config.guard_z * shift_se and abs(shift) > _ROUNDING * max(1.0, abs(baseline.value)):
        status = "rejected"
    elif estimated_mse >= snips_se**2:
        status = "not_better"
    info = WeightCalibration(
        status=status,
        increasing_share=float(shares[0]),
        flat_share=float(shares[2]),
        blend=blend,
        shift=shift,
        shift_se=shift_se,
        ess_fraction=ess,
    )
    return (run if status == "applied" else baseline), info
