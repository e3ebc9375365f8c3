"""Fold assignment by a stable hash of the prompt id, so that a prompt's rows share a fold.

Cross-fitting (calibration), the oracle jackknife and the grouped jackknife of
calibrated IPS all split rows by prompt: rows of one prompt never sit on both
sides of a split. The fold of a prompt depends only on its id, the number of
folds and a seed, never on row order.

>>> import numpy as np
>>> from cje_fp.data._dataset import hash_ids
>>> hashes = hash_ids(["a", "b", "c", "d"])
>>> folds = assign_folds(hashes, np.array([0, 1, 2, 3, 0]), n_folds=2, seed=42)
>>> bool(folds[0] == folds[4]), set(folds.tolist()) <= {0, 1}
(True, True)
"""

from __future__ import annotations

import numpy as np

from cje_fp.data._dataset import HashArray, IntArray

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(values: HashArray) -> HashArray:
    """The SplitMix64 finaliser: spreads every input bit over the output (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        result: HashArray = z ^ (z >> np.uint64(31))
    return result


def cluster_folds(cluster_hashes: HashArray, n_folds: int, seed: int) -> IntArray:
    """The fold (0..n_folds-1) of each cluster, from its hash and the seed."""
    if n_folds < 2:
        raise ValueError(f"need at least 2 folds, got {n_folds}")
    with np.errstate(over="ignore"):
        salt = np.uint64(seed % 2**64) * _GOLDEN
    mixed = _splitmix64(cluster_hashes ^ salt)
    return (mixed % np.uint64(n_folds)).astype(np.int64)


def assign_folds(cluster_hashes: HashArray, clusters: IntArray, n_folds: int, seed: int) -> IntArray:
    """The fold of each row: its cluster's fold."""
    return cluster_folds(cluster_hashes, n_folds, seed)[clusters]
