"""From a dataset and its rewards to ``TargetArrays``: log weights, clusters, jackknife groups, index levels.

>>> import numpy as np
>>> codes, values = levels(np.array([0.2, 0.1, 0.2, 0.3]), max_levels=8)
>>> codes.tolist(), values.tolist()
([1, 0, 1, 2], [0.1, 0.2, 0.3])
>>> compact(np.array([7, 3, 7, 9]))[0].tolist()
[1, 0, 1, 2]
"""

from __future__ import annotations

import numpy as np

from cje_fp.data import BoolArray, Dataset, FloatArray, IntArray, assign_folds
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._rewards import Rewards
from cje_fp.estimation.estimators import SimcalConfig, TargetArrays


def levels(index: FloatArray, max_levels: int) -> tuple[IntArray, FloatArray]:
    """Codes and values of the index levels (quantile bins when there are too many)."""
    values, codes = np.unique(index, return_inverse=True)
    if values.size <= max_levels:
        return codes.astype(np.int64), values
    edges = np.quantile(index, np.linspace(0.0, 1.0, max_levels + 1)[1:-1])
    binned = np.searchsorted(edges, index, side="right")
    counts = np.bincount(binned, minlength=max_levels)
    means = np.bincount(binned, weights=index, minlength=max_levels)
    present = counts > 0
    remap = np.cumsum(present) - 1
    return remap[binned].astype(np.int64), means[present] / counts[present]


def compact(codes: IntArray) -> tuple[IntArray, int]:
    """``codes`` renumbered 0..K-1 in order of value, keeping only the values that occur; and K.

    (``np.unique`` gives the same, but hashes or sorts: this is O(n) for small non-negative codes.)
    """
    present = np.bincount(codes) > 0
    renumbered: IntArray = (np.cumsum(present) - 1)[codes]
    return renumbered, int(present.sum())


def jackknife_groups(
    dataset: Dataset, rows: BoolArray, config: SimcalConfig
) -> tuple[IntArray, int]:
    """Jackknife group codes 0..K-1 of the rows, every group non-empty; and K.

    With at most ``n_groups`` prompts each prompt is its own group (delete-one-
    cluster); otherwise prompts are hashed into ``n_groups`` groups and the
    empty ones dropped, so K and the jackknife's K - 1 degrees of freedom count
    only groups that hold rows.
    """
    codes, n_clusters = compact(dataset.clusters[rows])
    if n_clusters <= config.n_groups:
        return codes, n_clusters
    hashed = assign_folds(dataset.cluster_hashes, dataset.clusters, config.n_groups, config.group_seed)[rows]
    return compact(hashed)


def target_arrays(dataset: Dataset, target: str, rewards: Rewards, config: EstimationConfig) -> TargetArrays:
    rows = rewards.rows
    base = dataset.base.values[rows]
    log_weights = dataset.targets[target].values[rows] - base
    hashes, clusters = dataset.cluster_hashes, dataset.clusters
    simcal = config.simcal
    codes, index_levels = levels(rewards.index, simcal.max_levels)
    groups, n_groups = jackknife_groups(dataset, rows, simcal)
    return TargetArrays(
        log_weights=log_weights,
        rewards=rewards.rewards,
        reward_replicates=rewards.replicates,
        clusters=clusters[rows],
        groups=groups,
        n_groups=n_groups,
        index_codes=codes,
        index_levels=index_levels,
        inner_folds=assign_folds(hashes, clusters, simcal.inner_folds, simcal.inner_seed)[rows],
        labelled=rewards.labelled,
        residuals=rewards.residuals,
    )
