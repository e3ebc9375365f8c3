"""What an estimator receives and returns: ``TargetArrays`` (the rows used) and ``PointRun``.

Inputs are the log weights, rewards, prompt clusters and jackknife groups of
the rows used and, for calibrated rewards, the oracle labels' residuals. Every
estimator returns a ``PointRun``: the value, its centred influence function and
delete-a-group jackknife replicates (one per non-empty group).

>>> import numpy as np
>>> group_ratio(np.array([1.0, 2.0, 3.0]), np.ones(3), np.array([0, 0, 2]), 3).tolist()
[3.0, 1.5]
"""

from __future__ import annotations

from typing import Literal, TypeAlias, final

import attrs
import numpy as np

from cje_fp.data import BoolArray, FloatArray, IntArray

Sampling: TypeAlias = Literal["influence", "jackknife"]


@final
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


@final
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
