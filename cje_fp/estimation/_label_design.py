"""How the oracle labels were chosen, the weights that undo a non-random choice, and the check of ``random``.

A **label design** says how rows came to carry an oracle label:

- ``random`` (default): every row equally likely. Checked: a two-sample
  Kolmogorov-Smirnov test compares the judge scores of labelled and unlabelled
  rows; ``p < LABEL_CHECK_REFUSE_P`` (0.001) refuses the calibrated estimate
  (``LabelsNotRandom``, naming the remedy), ``p < LABEL_CHECK_WARN_P`` (0.01)
  warns. Under truly random labels the test refuses about 0.1% of datasets.
- ``by_judge_score``: the labelling probability depends on the judge score only
  (teams label what the judge found interesting). It is estimated per judge
  level (or per quantile bin of the judge score when there are more than
  ``MAX_PROPENSITY_BINS`` levels; adjacent bins are merged until each holds
  ``MIN_LABELS_PER_BIN`` labels).
- ``known_propensity``: each row carries its labelling probability (the
  ``oracle_label_propensity`` field); labelled rows need one in (0, 1].

The calibration map and the residual correction weight every labelled row by
``1 / p`` (``label_weights``), so the labelled rows stand for all rows again.

>>> import numpy as np
>>> judge = np.repeat([0.2, 0.8], 100)
>>> labelled = np.r_[np.arange(100) < 10, np.arange(100) < 50]
>>> weights = estimated_label_weights(judge, labelled)
>>> sorted(set(np.round(weights[labelled], 6).tolist()))
[2.0, 10.0]
>>> label_dependence(judge, labelled).p_value < LABEL_CHECK_REFUSE_P
True
"""

from __future__ import annotations

import math
from typing import Final, Literal, TypeAlias, final

import attrs
import numpy as np
from scipy.stats import ks_2samp

from cje_fp.data import BoolArray, FloatArray

LabelDesign: TypeAlias = Literal["random", "by_judge_score", "known_propensity"]
LABEL_DESIGNS: Final[tuple[LabelDesign, ...]] = ("random", "by_judge_score", "known_propensity")

#: Refuse a ``random`` design when labelled and unlabelled judge scores differ at this level.
LABEL_CHECK_REFUSE_P: Final = 0.001
#: Warn at this level.
LABEL_CHECK_WARN_P: Final = 0.01
#: At most this many judge-score bins when estimating the labelling probability.
MAX_PROPENSITY_BINS: Final = 20
#: Adjacent bins are merged until each holds at least this many labels.
MIN_LABELS_PER_BIN: Final = 3


@final
@attrs.frozen(kw_only=True)
class LabelDependence:
    """Whether labelled rows' judge scores differ from unlabelled rows' (two-sample KS test)."""

    n_labelled: int
    n_unlabelled: int
    statistic: float
    """Kolmogorov-Smirnov distance between the two judge-score distributions."""
    p_value: float
    mean_judge_labelled: float
    mean_judge_unlabelled: float

    @property
    def refuses(self) -> bool:
        """``p < LABEL_CHECK_REFUSE_P``."""
        return self.p_value < LABEL_CHECK_REFUSE_P

    @property
    def warns(self) -> bool:
        """``p < LABEL_CHECK_WARN_P``."""
        return self.p_value < LABEL_CHECK_WARN_P

    def describe(self) -> str:
        """What the test saw, for messages."""
        return (
            f"labelled rows' judge scores differ from the unlabelled rows' (mean {self.mean_judge_labelled:.3f} "
            f"vs {self.mean_judge_unlabelled:.3f}, KS D={self.statistic:.3f}, p={self.p_value:.2g})"
        )


def label_dependence(judge: FloatArray, labelled: BoolArray) -> LabelDependence:
    """Two-sample KS test of the judge scores of labelled vs unlabelled rows (p = 1 when either has < 2 rows)."""
    inside, outside = judge[labelled], judge[~labelled]
    if inside.size < 2 or outside.size < 2:
        return LabelDependence(
            n_labelled=int(inside.size), n_unlabelled=int(outside.size), statistic=0.0, p_value=1.0,
            mean_judge_labelled=float(inside.mean()) if inside.size else math.nan,
            mean_judge_unlabelled=float(outside.mean()) if outside.size else math.nan,
        )
    test = ks_2samp(inside, outside, method="asymp")
    return LabelDependence(
        n_labelled=int(inside.size),
        n_unlabelled=int(outside.size),
        statistic=float(test.statistic),
        p_value=float(test.pvalue),
        mean_judge_labelled=float(inside.mean()),
        mean_judge_unlabelled=float(outside.mean()),
    )


def _bins(judge: FloatArray) -> tuple[np.ndarray, int]:
    """A bin code per row: one per judge level, or quantile bins when there are too many levels."""
    levels, codes = np.unique(judge, return_inverse=True)
    if levels.size <= MAX_PROPENSITY_BINS:
        return codes, int(levels.size)
    edges = np.unique(np.quantile(judge, np.linspace(0.0, 1.0, MAX_PROPENSITY_BINS + 1)[1:-1]))
    return np.searchsorted(edges, judge, side="right"), int(edges.size + 1)


def _merged(codes: np.ndarray, n_bins: int, labelled: BoolArray) -> np.ndarray:
    """Bins merged left to right until each holds ``MIN_LABELS_PER_BIN`` labels (the last merges back)."""
    labels = np.bincount(codes[labelled], minlength=n_bins)
    group = np.zeros(n_bins, dtype=np.int64)
    current, held = 0, 0
    for index in range(n_bins):
        group[index] = current
        held += int(labels[index])
        if held >= MIN_LABELS_PER_BIN and index < n_bins - 1:
            current, held = current + 1, 0
    if held < MIN_LABELS_PER_BIN and current > 0:
        group[group == current] = current - 1
    merged: np.ndarray = group[codes]
    return merged


def judge_score_propensity(judge: FloatArray, labelled: BoolArray) -> FloatArray:
    """Estimated labelling probability of every row as a function of its judge score (binned)."""
    codes, n_bins = _bins(judge)
    groups = _merged(codes, n_bins, labelled)
    rows = np.bincount(groups)
    labels = np.bincount(groups[labelled], minlength=rows.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        share: FloatArray = labels / rows
    propensity: FloatArray = share[groups]
    return propensity


def estimated_label_weights(judge: FloatArray, labelled: BoolArray) -> FloatArray:
    """``1 / p(S)`` on labelled rows (``p`` estimated by ``judge_score_propensity``), 0 elsewhere."""
    propensity = judge_score_propensity(judge, labelled)
    weights: FloatArray = np.where(labelled, 1.0 / np.where(labelled, propensity, 1.0), 0.0)
    return weights


def known_label_weights(propensity: FloatArray, labelled: BoolArray) -> FloatArray:
    """``1 / p`` on labelled rows from given propensities (callers check them first), 0 elsewhere."""
    weights: FloatArray = np.where(labelled, 1.0 / np.where(labelled, propensity, 1.0), 0.0)
    return weights


def stratified_by_fold(weights: FloatArray, labelled: BoolArray, folds: np.ndarray) -> FloatArray:
    """Label weights rescaled so that, within every calibration fold holding labels, they sum to the
    fold's row count.

    Each fold's rows are scored by a map fitted on the other folds, and these
    maps differ in level; when a fold holds a larger share of the labels than
    of the rows, the residual correction over-weights its map and the plug-in
    and the correction no longer cancel that map's level. With 15 labels in 5
    folds this left intervals about 10% too narrow; post-stratifying the label
    weights by fold removes the term. Folds without labels keep nothing to rescale.
    """
    n_folds = int(folds.max()) + 1 if folds.size else 0
    rows = np.bincount(folds, minlength=n_folds).astype(np.float64)
    label_mass = np.bincount(folds, weights=np.where(labelled, weights, 0.0), minlength=n_folds)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(label_mass > 0, rows / label_mass, 0.0)
    stratified: FloatArray = np.where(labelled, weights * scale[folds], 0.0)
    return stratified


def effective_labels(weights: FloatArray) -> float:
    """Kish's effective number of labels ``(sum v)^2 / sum v^2`` of label weights ``v``."""
    total = float(weights.sum())
    squares = float(np.dot(weights, weights))
    return total * total / squares if squares > 0 else 0.0
