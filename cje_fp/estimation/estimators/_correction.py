"""The residual (oracle) correction every estimator adds when rewards are calibrated.

With calibrated rewards ``f(S)`` a judge that is noisy given the calibrated
score leaves ``E_target[f(S)] != E_target[Y]`` whenever the target prefers
responses that are better (or worse) than their judge score says; the
incumbent's plug-in is biased exactly then. When ``residuals``
``r = Y - f_oof(S)`` are given on the labelled rows, every estimator adds the
weighted mean residual over the labelled rows (the prediction-powered / AIPW
form, cross-fitted because ``f_oof`` never saw the row's fold)::

    psi = sum(w f) / sum(w) + sum_L(w r) / sum_L(w)      (self-normalised)
    psi = mean(w f)          + mean_L(w r)               (Horvitz-Thompson)

and its influence ``(n / sum_L w) L w (r - delta)`` (or ``(n / n_L) L (w r -
delta)``) is added to the plug-in's, so the standard error counts the labels'
sampling noise. The fitted map's own variability cancels to first order (the
correction is unbiased for any fixed map), so no fold jackknife is added.

>>> import numpy as np
>>> arrays = TargetArrays(
...     log_weights=np.zeros(4), rewards=np.zeros(4), reward_replicates=None, clusters=np.arange(4),
...     groups=np.array([0, 1, 0, 1]), n_groups=2,
...     labelled=np.array([True, True, False, False]), residuals=np.array([-0.2, 0.4, 0.0, 0.0]),
... )
>>> correction = label_correction(arrays, np.array([0.5, 1.5, 1.0, 1.0]), normalised=True)
>>> round(correction.value, 6)  # (0.5 * -0.2 + 1.5 * 0.4) / 2
0.25
"""

from __future__ import annotations

import math
from typing import final

import attrs
import numpy as np

from cje_fp.data import FloatArray
from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays, group_ratio


@final
@attrs.frozen(kw_only=True, eq=False)
class Correction:
    """The residual correction: its value, influence and jackknife replicates."""

    value: float
    influence: FloatArray
    replicates: FloatArray


def label_correction(arrays: TargetArrays, weights: FloatArray, *, normalised: bool) -> Correction | None:
    """The weighted mean residual over the labelled rows (None without residuals).

    ``normalised``: divide by the labelled rows' weight sum (Hajek), else by
    their count (Horvitz-Thompson, ``weights`` being raw weights).
    """
    labelled, residuals = arrays.labelled, arrays.residuals
    if labelled is None or residuals is None:
        return None
    n = arrays.n
    labelled_weights = np.where(labelled, weights, 0.0)
    products = labelled_weights * residuals
    if normalised:
        total = float(labelled_weights.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            delta = float(products.sum()) / total if total > 0 else math.nan
            influence = n * labelled_weights * (residuals - delta) / total
        replicates = group_ratio(products, labelled_weights, arrays.groups, arrays.n_groups)
    else:
        count = int(labelled.sum())
        delta = float(products.sum()) / count if count else math.nan
        influence = (n / max(count, 1)) * np.where(labelled, products - delta, 0.0)
        replicates = group_ratio(products, labelled.astype(np.float64), arrays.groups, arrays.n_groups)
    return Correction(value=delta, influence=influence, replicates=replicates)


def with_correction(run: PointRun, correction: Correction | None) -> PointRun:
    """``run`` with the residual correction added to its value, influence and replicates."""
    if correction is None:
        return run
    return attrs.evolve(
        run,
        value=run.value + correction.value,
        influence=run.influence + correction.influence,
        group_replicates=run.group_replicates + correction.replicates,
        correction=correction.value,
        correction_influence=correction.influence,
        correction_replicates=correction.replicates,
    )
