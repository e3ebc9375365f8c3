"""``snips``: self-normalised importance sampling (Hajek), ``sum w R / sum w``.

Weights are the mean-one self-normalised weights, formed from log weights with
log-sum-exp; the clipped variant (``clipped_snips``) caps them first.

>>> import numpy as np
>>> arrays = TargetArrays(
...     log_weights=np.log(np.array([0.5, 1.5, 1.0, 1.0])), rewards=np.array([1.0, 0.0, 1.0, 0.0]),
...     reward_replicates=None, clusters=np.arange(4), groups=np.array([0, 1, 0, 1]), n_groups=2,
... )
>>> snips(arrays).value
0.375
>>> corrected = attrs.evolve(
...     arrays, labelled=np.array([True, True, False, False]), residuals=np.array([-0.2, 0.2, 0.0, 0.0])
... )
>>> round(snips(corrected).value - snips(arrays).value, 6)  # (0.5 * -0.2 + 1.5 * 0.2) / 2
0.1
"""

from __future__ import annotations

from typing import ClassVar, Final, final

import attrs
import numpy as np
from returns.result import Result, Success

from cje_fp.data import FloatArray
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays, group_ratio
from cje_fp.estimation.estimators._correction import label_correction, with_correction
from cje_fp.estimation.estimators._protocol import Estimator, EstimatorContext, EstimatorInputs, EstimatorRun
from cje_fp.scoring import mean_one_weights

__all__ = ["ESTIMATOR", "Snips", "clip_mean_one", "snips"]


def clip_mean_one(weights: FloatArray, clip_at: float) -> tuple[FloatArray, int]:
    """Clip mean-one weights at ``clip_at`` and rescale to mean one; and how many were clipped."""
    clipped = weights > clip_at
    if not clipped.any():
        return weights, 0
    limited = np.minimum(weights, clip_at)
    return limited / limited.mean(), int(clipped.sum())


def snips(arrays: TargetArrays, clip_at: float | None = None) -> PointRun:
    """Self-normalised IPS (Hajek): ``sum w R / sum w``; optionally clipped (mean-one scale)."""
    weights = mean_one_weights(arrays.log_weights)
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


@final
@attrs.frozen
class Snips:
    """Self-normalised IPS on the raw mean-one weights."""

    name: ClassVar[str] = "snips"
    summary: ClassVar[str] = "self-normalised IPS (Hajek): sum w R / sum w"
    normalisation: ClassVar[WeightNormalisation] = "self-normalised"
    inputs: ClassVar[EstimatorInputs] = "logged"

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun, EstimationError]:
        return Success(EstimatorRun(point=snips(context.arrays)))


ESTIMATOR: Final[Estimator] = Snips()
