"""The logging policy's own value: the mean reward of the rows (``compare``'s ``BASE``).

>>> import numpy as np
>>> arrays = TargetArrays(
...     log_weights=np.zeros(4), rewards=np.array([1.0, 0.0, 1.0, 1.0]), reward_replicates=None,
...     clusters=np.arange(4), groups=np.array([0, 1, 0, 1]), n_groups=2,
... )
>>> on_policy(arrays).value
0.75
"""

from __future__ import annotations

import numpy as np

from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays, group_ratio
from cje_fp.estimation.estimators._correction import label_correction, with_correction


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
