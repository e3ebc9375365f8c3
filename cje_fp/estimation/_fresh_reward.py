"""The reward model of fresh-draw estimators: cross-fitted isotonic calibration plus binned residuals.

A fresh draw has a judge score ``S`` but no oracle label, so its reward is a
prediction of the oracle from ``S``. The prediction for a draw of a prompt in
fold ``k`` is ``f^(-k)(S)``, the isotonic map fitted on the labelled logged rows
outside fold ``k`` (the same prompt-hash folds as every other cross-fit), plus
the **binned residual** ``rbar_b``: the mean out-of-fold residual ``Y -
f^(-k)(S)`` of the labelled rows whose judge score falls in the same judge bin
``b``. Bins are runs of judge levels holding at least ``min_per_bin`` labels.

Averaged over a target's draws, the bin term is ``sum_b p'_b rbar_b`` with
``p'_b`` the target's share of draws in bin ``b``: the labelled residuals
re-weighted to the **target's** judge distribution (a judge-space importance
weight ``p'_b / p_b`` that fresh draws make estimable, unlike sequence-level
weights). It removes the map's own bias (isotonic fits are biased at the
ends) under the target's score distribution, and its sampling noise is the
calibration (oracle-label) uncertainty that enters every standard error as
the influence term ``label_influence``.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> judge = rng.uniform(size=400)
>>> oracle = np.clip(judge**2 + rng.normal(0, 0.1, 400), 0, 1)
>>> model = fit_reward_model(judge, oracle, rng.integers(0, 5, 400), n_folds=5).value_or(None)
>>> model.n_bins, model.judge_range
(10, (0.0003..., 0.997...))
>>> bool(abs(model.predict(np.array([0.5]), np.array([0]))[0] - 0.25) < 0.05)
True
"""

from __future__ import annotations

from typing import Final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import FloatArray, IntArray
from cje_fp.estimation._calibration import IsotonicFit, fit_isotonic
from cje_fp.estimation._errors import TooFewOracleLabels

#: Fewest labels in a residual bin (a bin's mean residual needs a few labels to be worth a number).
MIN_PER_BIN: Final = 20

#: Most residual bins.
MAX_BINS: Final = 10


@attrs.frozen(kw_only=True, eq=False)
class RewardModel:
    """Cross-fitted judge -> oracle maps, residual bins and the labelled rows they came from."""

    full: IsotonicFit
    fold_fits: tuple[IsotonicFit, ...]
    judge_edges: tuple[FloatArray, ...]
    """Per covariate bin, the inner judge-bin boundaries (between judge levels)."""
    covariate_edges: FloatArray
    """Inner boundaries of the covariate bins (empty without a covariate)."""
    bin_residual: FloatArray
    """Mean out-of-fold residual ``Y - f^(-k)(S)`` of the labelled rows in each bin."""
    bin_count: IntArray
    label_bins: IntArray
    """Bin of each labelled row."""
    label_residual: FloatArray
    """Out-of-fold residual of each labelled row."""
    label_oracle: FloatArray
    label_judge: FloatArray
    label_folds: IntArray
    judge_range: tuple[float, float]
    """Smallest and largest judge score among the labelled rows."""

    @property
    def n_bins(self) -> int:
        """Residual bins."""
        return int(self.bin_residual.size)

    @property
    def n_labels(self) -> int:
        """Labelled rows the model was fitted on."""
        return int(self.label_residual.size)

    @property
    def has_covariate(self) -> bool:
        """Whether the residual cells are stratified by a covariate."""
        return len(self.judge_edges) > 1

    def bins(self, judge: FloatArray, covariate: FloatArray | None = None) -> IntArray:
        """The residual cell of each draw: covariate bin, then judge bin within it (ends open)."""
        cells = np.searchsorted(self.judge_edges[0], judge, side="right").astype(np.int64)
        if not self.has_covariate:
            return cells
        if covariate is None:
            raise ValueError("this reward model's residual cells need the covariate")
        strata = np.searchsorted(self.covariate_edges, covariate, side="right")
        offset = 0
        for stratum, edges in enumerate(self.judge_edges):
            rows = strata == stratum
            cells[rows] = offset + np.searchsorted(edges, judge[rows], side="right")
            offset += edges.size + 1
        return cells

    def predict(self, judge: FloatArray, folds: IntArray) -> FloatArray:
        """``f^(-fold_i)(S_i)``: each score through the map that never saw its prompt's fold."""
        predicted = np.empty_like(judge)
        for fold, fit in enumerate(self.fold_fits):
            rows = folds == fold
            predicted[rows] = fit.predict(judge[rows])
        return predicted

    def corrected(self, judge: FloatArray, folds: IntArray, covariate: FloatArray | None = None) -> FloatArray:
        """``f^(-fold)(S) + rbar_cell``: the direct estimator's reward of each draw."""
        return self.predict(judge, folds) + self.bin_residual[self.bins(judge, covariate)]

    def label_influence(self, coefficient: FloatArray, label_clusters: IntArray, n_clusters: int) -> FloatArray:
        """Influence per cluster of ``sum_b coefficient_b * rbar_b`` through the labelled rows.

        Row ``u`` in bin ``b`` contributes ``G * coefficient_b * (r_u - rbar_b) / n_b``.
        """
        bins = self.label_bins
        per_row = (
            n_clusters * coefficient[bins] * (self.label_residual - self.bin_residual[bins]) / self.bin_count[bins]
        )
        influence: FloatArray = np.bincount(label_clusters, weights=per_row, minlength=n_clusters).astype(np.float64)
        return influence

    def bin_shares(self, judge: FloatArray, clusters: IntArray, covariate: FloatArray | None = None) -> FloatArray:
        """The share of each cell among draws, averaged per cluster then over clusters."""
        bins = self.bins(judge, covariate)
        per_cluster_count = np.bincount(clusters).astype(np.float64)
        present = per_cluster_count > 0
        draw_weight = 1.0 / per_cluster_count[clusters] / float(present.sum())
        shares: FloatArray = np.bincount(bins, weights=draw_weight, minlength=self.n_bins).astype(np.float64)
        return shares


def residual_edges(judge: FloatArray, min_per_bin: int = MIN_PER_BIN, max_bins: int = MAX_BINS) -> FloatArray:
    """Bin boundaries between judge levels so that each bin holds at least ``min_per_bin`` scores.

    >>> residual_edges(np.array([0.1] * 30 + [0.5] * 5 + [0.9] * 30), min_per_bin=20).tolist()
    [0.3]
    """
    levels, counts = np.unique(judge, return_counts=True)
    target = max(min_per_bin, int(np.ceil(judge.size / max_bins)))
    edges: list[float] = []
    running = 0
    cumulative = np.cumsum(counts)
    for index in range(levels.size - 1):
        running += int(counts[index])
        remaining = judge.size - int(cumulative[index])
        if running >= target and remaining >= target:
            edges.append(float((levels[index] + levels[index + 1]) / 2.0))
            running = 0
    return np.array(edges, dtype=np.float64)


def covariate_edges(covariate: FloatArray, n_bins: int, min_per_bin: int) -> FloatArray:
    """Boundaries of up to ``n_bins`` covariate bins (quantiles, or between levels when few),
    each holding at least ``min_per_bin`` labelled rows.

    >>> covariate_edges(np.array([0.0] * 90 + [1.0] * 25), 2, 20).tolist()
    [0.5]
    >>> covariate_edges(np.array([0.0] * 100 + [1.0] * 5), 2, 20).tolist()
    []
    """
    levels = np.unique(covariate)
    if levels.size <= n_bins:
        candidates = (levels[:-1] + levels[1:]) / 2.0
    else:
        candidates = np.unique(np.quantile(covariate, np.linspace(0.0, 1.0, n_bins + 1)[1:-1]))
    kept: list[float] = []
    lower = -np.inf
    for edge in candidates.tolist():
        inside = int(np.sum((covariate > lower) & (covariate <= edge)))
        rest = int(np.sum(covariate > edge))
        if inside >= min_per_bin and rest >= min_per_bin:
            kept.append(edge)
            lower = edge
    return np.array(kept, dtype=np.float64)


def fit_reward_model(
    judge: FloatArray,
    oracle: FloatArray,
    folds: IntArray,
    *,
    n_folds: int,
    covariate: FloatArray | None = None,
    covariate_bins: int = 2,
    min_labels_per_fold: int = 2,
    min_per_bin: int = MIN_PER_BIN,
    max_bins: int = MAX_BINS,
) -> Result[RewardModel, TooFewOracleLabels]:
    """Fit the reward model on labelled rows (judge, oracle, prompt fold of each)."""
    n_labels = int(judge.size)
    minimum = max(n_folds * min_labels_per_fold, min_per_bin)
    if n_labels < minimum:
        return Failure(TooFewOracleLabels(n_labels=n_labels, minimum=minimum))
    per_fold = np.bincount(folds, minlength=n_folds)
    if np.any(n_labels - per_fold < min_labels_per_fold):
        return Failure(
            TooFewOracleLabels(
                n_labels=n_labels,
                minimum=minimum,
                reason=f"labels per fold {per_fold.tolist()} leave a fold without training labels",
            )
        )
    full = fit_isotonic(judge, oracle)
    fold_fits = tuple(fit_isotonic(judge[folds != fold], oracle[folds != fold]) for fold in range(n_folds))
    predicted = np.empty_like(judge)
    for fold, fit in enumerate(fold_fits):
        predicted[folds == fold] = fit.predict(judge[folds == fold])
    residual = oracle - predicted
    strata_edges = (
        np.zeros(0) if covariate is None else covariate_edges(covariate, covariate_bins, min_per_bin)
    )
    strata = np.zeros(judge.size, dtype=np.int64) if covariate is None else np.searchsorted(
        strata_edges, covariate, side="right"
    )
    judge_edges = tuple(
        residual_edges(judge[strata == stratum], min_per_bin, max_bins) for stratum in range(strata_edges.size + 1)
    )
    shell = RewardModel(
        full=full, fold_fits=fold_fits, judge_edges=judge_edges, covariate_edges=strata_edges,
        bin_residual=np.zeros(0), bin_count=np.zeros(0, dtype=np.int64), label_bins=np.zeros(0, dtype=np.int64),
        label_residual=residual, label_oracle=oracle, label_judge=judge, label_folds=folds,
        judge_range=(float(judge.min()), float(judge.max())),
    )
    bins = shell.bins(judge, covariate)
    n_cells = sum(edges.size + 1 for edges in judge_edges)
    counts = np.bincount(bins, minlength=n_cells).astype(np.int64)
    means = np.bincount(bins, weights=residual, minlength=n_cells) / counts
    return Success(
        RewardModel(
            full=full,
            fold_fits=fold_fits,
            judge_edges=judge_edges,
            covariate_edges=strata_edges,
            bin_residual=means,
            bin_count=counts,
            label_bins=bins,
            label_residual=residual,
            label_oracle=oracle,
            label_judge=judge,
            label_folds=folds,
            judge_range=(float(judge.min()), float(judge.max())),
        )
    )
