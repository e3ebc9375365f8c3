"""Stacking fresh-draw components: the convex combination with the smallest influence variance.

>>> import numpy as np
>>> simplex_min_variance(np.array([[1.0, 0.0], [0.0, 1.0]])).round(3).tolist()
[0.5, 0.5]
"""

from __future__ import annotations

import itertools
import math

import attrs
import numpy as np

from cje_fp.data import FloatArray
from cje_fp.estimation._fresh_core import ComponentRun, Part


def stack(runs: tuple[ComponentRun, ...]) -> ComponentRun:
    """The convex combination of ``runs`` whose combined influence has the smallest variance."""
    if len(runs) == 1:
        return attrs.evolve(runs[0], name="stacked-dr", stack_weights=((runs[0].name, 1.0),))
    influence = np.stack([run.influence for run in runs])
    covariance = influence @ influence.T
    alpha = simplex_min_variance(covariance)
    names = sorted({part.name for run in runs for part in run.parts})
    parts = []
    for name in names:
        pieces = [
            (weight, part) for weight, run in zip(alpha, runs, strict=True) for part in run.parts if part.name == name
        ]
        parts.append(
            Part(
                name=name,
                influence=np.sum([weight * part.influence for weight, part in pieces], axis=0),
                df=min(part.df for _, part in pieces),
            )
        )
    first = runs[0]
    return ComponentRun(
        name="stacked-dr",
        value=float(sum(weight * run.value for weight, run in zip(alpha, runs, strict=True))),
        parts=tuple(parts),
        draw_prediction=np.sum([w * run.draw_prediction for w, run in zip(alpha, runs, strict=True)], axis=0),
        probe_prediction=None,
        label_coefficient=None,
        correction=float(sum(weight * run.correction for weight, run in zip(alpha, runs, strict=True))),
        overlap=next((run.overlap for run in runs if run.overlap is not None), None),
        gates=first.gates,
        stack_weights=tuple((run.name, float(weight)) for run, weight in zip(runs, alpha, strict=True)),
        probe_corrected=first.probe_corrected,
    )


def simplex_min_variance(covariance: FloatArray) -> FloatArray:
    """``argmin a' C a`` over the probability simplex, by trying every support (few components).

    >>> simplex_min_variance(np.array([[1.0, 0.0], [0.0, 3.0]])).round(3).tolist()
    [0.75, 0.25]
    """
    k = covariance.shape[0]
    scale = float(np.trace(covariance)) / k or 1.0
    regularised = covariance / scale + 1e-9 * np.eye(k)
    best, best_variance = np.full(k, 1.0 / k), math.inf
    for size in range(1, k + 1):
        for support in itertools.combinations(range(k), size):
            sub = regularised[np.ix_(support, support)]
            try:
                raw = np.linalg.solve(sub, np.ones(size))
            except np.linalg.LinAlgError:
                continue
            if raw.sum() <= 0 or np.any(raw < 0):
                continue
            weights = np.zeros(k)
            weights[list(support)] = raw / raw.sum()
            variance = float(weights @ regularised @ weights)
            if variance < best_variance - 1e-15:
                best, best_variance = weights, variance
    return best
