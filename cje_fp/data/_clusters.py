"""Cluster rows by any key (a prompt family, a conversation, a user), not only by prompt id.

Rows that share a key are one independent unit for every standard error, and
stay together in every fold (calibration folds, jackknife groups), so a family
of near-duplicate prompts can neither shrink the interval nor leak between the
folds that fit and evaluate the calibration.

>>> from cje_fp.data._dataset import Dataset
>>> data = Dataset.from_arrays(
...     prompt_ids=["a1", "a2", "b1"], base_log_prob=[-1.0] * 3, target_log_probs={"t": [-1.0] * 3}
... )
>>> clustered_by(data, ["a", "a", "b"]).clusters.tolist()
[0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from cje_fp.data._dataset import Dataset, factorize


def clustered_by(dataset: Dataset, keys: Sequence[str]) -> Dataset:
    """``dataset`` with its rows clustered by ``keys`` (one key per row) instead of by prompt id."""
    if len(keys) != dataset.n_rows:
        raise ValueError(f"one cluster key per row: got {len(keys)} keys for {dataset.n_rows} rows")
    clusters, hashes = factorize(keys)
    return attrs.evolve(dataset, clusters=clusters, cluster_hashes=hashes)
