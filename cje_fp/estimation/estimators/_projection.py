"""SIMCal's projection of the weights on an index: a mix of increasing, decreasing and flat fits.

The weights are summarised per index level; the isotonic increasing and
decreasing fits and the flat fit (uniform weights) are mixed with shares on the
simplex chosen to **predict the weights** out of fold (least squares over
inner folds), so a flat fit only wins when the weights do not depend on the
index. An optional variance cap blends the result toward uniform weights.

>>> import numpy as np
>>> level_values = np.array([0.0, 1.0, 2.0])  # weights rising with the index, two rows per level
>>> levels, shares, blend = project(
...     level_values, np.array([2.0, 4.0, 6.0]), np.full(3, 2.0), np.array([[1.0, 2.0, 3.0]] * 2), np.ones((2, 3)), None
... )
>>> levels.round(3).tolist(), shares.round(3).tolist(), blend
([0.5, 1.0, 1.5], [1.0, 0.0, 0.0], 0.0)
"""

from __future__ import annotations

import math

import numpy as np

from cje_fp.data import FloatArray
from cje_fp.estimation._calibration import pooled_isotonic


def _objective(gram: FloatArray, target: FloatArray, shares: FloatArray) -> float:
    return float(shares @ gram @ shares - 2.0 * target @ shares)


def _simplex_least_squares(gram: FloatArray, target: FloatArray) -> FloatArray:
    """``argmin_p p'Gp - 2 b'p`` over the probability simplex of three candidates.

    The problem is convex: the interior solution of the equality-constrained
    problem is optimal when feasible; otherwise the optimum lies on an edge
    (a clipped one-dimensional minimum, vertices included).
    """
    try:
        system = np.zeros((4, 4))
        system[:3, :3] = gram
        system[:3, 3] = 1.0
        system[3, :3] = 1.0
        interior: FloatArray = np.linalg.solve(system, np.append(target, 1.0))[:3]
        if np.all(interior >= 0.0):
            normalised: FloatArray = interior / interior.sum()
            return normalised
    except np.linalg.LinAlgError:
        pass
    best = np.array([1.0, 0.0, 0.0])
    best_value = math.inf
    for first, second in ((0, 1), (0, 2), (1, 2)):
        curvature = gram[first, first] - 2.0 * gram[first, second] + gram[second, second]
        slope = gram[second, second] - gram[first, second] + target[first] - target[second]
        candidates = [0.0, 1.0] if curvature <= 0.0 else [min(1.0, max(0.0, slope / curvature))]
        for share in candidates:
            shares = np.zeros(3)
            shares[first], shares[second] = share, 1.0 - share
            value = _objective(gram, target, shares)
            if value < best_value:
                best, best_value = shares, value
    return best


def _candidates(level_values: FloatArray, sums: FloatArray, counts: FloatArray) -> FloatArray:
    """Increasing, decreasing and flat fits of the weights per level, shape (3, levels)."""
    flat = np.full(level_values.size, sums.sum() / counts.sum())
    return np.stack(
        [
            pooled_isotonic(level_values, sums, counts, increasing=True),
            pooled_isotonic(level_values, sums, counts, increasing=False),
            flat,
        ]
    )


def project(
    level_values: FloatArray,
    sums: FloatArray,
    counts: FloatArray,
    fold_sums: FloatArray,
    fold_counts: FloatArray,
    var_cap: float | None,
) -> tuple[FloatArray, FloatArray, float]:
    """Calibrated weight per level (mean one over the rows), the candidates' shares, the blend.

    The shares minimise the out-of-fold squared error of predicting the
    weights (over the inner folds) on the simplex.
    """
    fits = _candidates(level_values, sums, counts)
    gram = np.zeros((3, 3))
    target = np.zeros(3)
    for fold in range(fold_sums.shape[0]):
        train_counts = counts - fold_counts[fold]
        if fold_counts[fold].sum() == 0 or train_counts.sum() == 0:
            continue
        trained = _candidates(level_values, sums - fold_sums[fold], train_counts)
        gram += (trained * fold_counts[fold]) @ trained.T
        target += trained @ fold_sums[fold]
    shares = _simplex_least_squares(gram, target) if gram.trace() > 0 else np.array([0.5, 0.5, 0.0])
    levels = shares @ fits
    n = counts.sum()
    levels = levels / (np.dot(counts, levels) / n)
    blend = 0.0
    if var_cap is not None:
        variance = float(np.dot(counts, (levels - 1.0) ** 2) / n)
        if variance > var_cap:
            blend = 1.0 - math.sqrt(var_cap / variance)
            levels = 1.0 + (1.0 - blend) * (levels - 1.0)
    return levels, shares, blend
