"""Judge -> oracle calibration: isotonic regression (scipy's), cross-fitted over prompt folds.

``fit_isotonic`` pools tied inputs, runs ``scipy.optimize.isotonic_regression``
on the pooled means and predicts by linear interpolation between the fitted
points, clamped at the ends (as the incumbent does with scikit-learn).
``calibrate`` fits one map on every labelled row (``full``) and one per fold on
the labelled rows outside it (``fold_fits``): the fold maps give out-of-fold
rewards and the oracle jackknife (OUA).

>>> import numpy as np
>>> fit = fit_isotonic(np.array([0.1, 0.2, 0.2, 0.9]), np.array([0.0, 1.0, 0.0, 1.0]))
>>> fit.predict(np.array([0.0, 0.2, 0.55, 1.0])).tolist()
[0.0, 0.5, 0.75, 1.0]
"""

from __future__ import annotations

from typing import Final, final

import attrs
import numpy as np
from returns.result import Failure, Result, Success
from scipy.optimize import isotonic_regression

from cje_fp.data import BoolArray, Dataset, FloatArray, IntArray, assign_folds
from cje_fp.estimation._errors import MissingJudgeScores, TooFewOracleLabels

#: How many source lines an error about missing judge scores quotes.
_QUOTED_LINES: Final = 5


@final
@attrs.frozen(kw_only=True, eq=False)
class IsotonicFit:
    """A monotone step map: fitted ``values`` at sorted ``knots``, linear in between, flat outside."""

    knots: FloatArray
    values: FloatArray

    def predict(self, x: FloatArray) -> FloatArray:
        """The map at ``x`` (clamped to the first/last fitted value outside the knots)."""
        return np.interp(x, self.knots, self.values)

    @property
    def is_constant(self) -> bool:
        """Whether the fit is flat (e.g. a judge anti-correlated with the oracle)."""
        return bool(np.ptp(self.values) == 0.0)


def pooled_isotonic(
    level_values: FloatArray, sums: FloatArray, counts: FloatArray, *, increasing: bool = True
) -> FloatArray:
    """Isotonic fit in level space: weighted means ``sums / counts`` at sorted levels.

    Levels with zero count are interpolated from their neighbours (clamped at the ends).
    """
    present = counts > 0
    fitted = isotonic_regression(
        sums[present] / counts[present], weights=counts[present], increasing=increasing
    ).x
    return np.interp(level_values, level_values[present], fitted)


def fit_isotonic(
    x: FloatArray, y: FloatArray, weights: FloatArray | None = None, *, increasing: bool = True
) -> IsotonicFit:
    """Isotonic regression of ``y`` on ``x`` (ties pooled, weighted by ``weights``)."""
    if x.size == 0:
        raise ValueError("isotonic regression needs at least one point")
    knots, inverse = np.unique(x, return_inverse=True)
    w = np.ones_like(y) if weights is None else weights
    counts = np.bincount(inverse, weights=w, minlength=knots.size).astype(np.float64)
    sums = np.bincount(inverse, weights=w * y, minlength=knots.size).astype(np.float64)
    return IsotonicFit(knots=knots, values=pooled_isotonic(knots, sums, counts, increasing=increasing))


@final
@attrs.frozen(kw_only=True)
class CalibrationConfig:
    """Cross-fitting of the judge -> oracle map."""

    n_folds: int = attrs.field(default=5, validator=attrs.validators.ge(2))
    seed: int = 42
    min_labels_per_fold: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    """At least ``n_folds * min_labels_per_fold`` labels in all (the incumbent's 2K)."""


@final
@attrs.frozen(kw_only=True, eq=False)
class Calibration:
    """The full and per-fold isotonic maps, with their fit quality on the labelled rows."""

    full: IsotonicFit
    fold_fits: tuple[IsotonicFit, ...]
    folds: IntArray
    """The calibration fold of every dataset row."""
    n_labels: int
    rmse_in_sample: float
    rmse_out_of_fold: float
    config: CalibrationConfig

    def rewards(self, judge: FloatArray) -> FloatArray:
        """Calibrated rewards ``f_all(S)``."""
        return self.full.predict(judge)

    def fold_rewards(self, judge: FloatArray) -> FloatArray:
        """``f^(-k)(S)`` for every fold k: shape (n_folds, len(judge))."""
        return np.stack([fit.predict(judge) for fit in self.fold_fits])

    def out_of_fold(self, judge: FloatArray, folds: IntArray) -> FloatArray:
        """``f^(-fold_i)(S_i)``: each row's reward from the map that never saw its fold."""
        return _pick(self.fold_rewards(judge), folds)


def _pick(per_fold: FloatArray, folds: IntArray) -> FloatArray:
    """Row i of the result is ``per_fold[folds[i], i]``."""
    return per_fold[folds, np.arange(folds.size)]


def calibrate(
    dataset: Dataset, config: CalibrationConfig = CalibrationConfig()
) -> Result[Calibration, TooFewOracleLabels | MissingJudgeScores]:
    """Fit the judge -> oracle map on the labelled rows, cross-fitted over prompt folds.

    >>> import numpy as np
    >>> from cje_fp.data._dataset import Dataset
    >>> rng = np.random.default_rng(0)
    >>> judge = rng.uniform(size=60)
    >>> data = Dataset.from_arrays(
    ...     prompt_ids=[f"p{i}" for i in range(60)], base_log_prob=[-1.0] * 60,
    ...     target_log_probs={"t": [-1.0] * 60}, judge_score=list(judge),
    ...     oracle_label=[float(s) ** 2 if i % 2 else None for i, s in enumerate(judge)],
    ... )
    >>> calibration = calibrate(data).value_or(None)
    >>> calibration.n_labels, round(calibration.rmse_in_sample, 6)
    (30, 0.0)
    """
    labelled: BoolArray = dataset.oracle.present
    n_labels = int(labelled.sum())
    minimum = config.n_folds * config.min_labels_per_fold
    unjudged = labelled & ~dataset.judge.present
    if unjudged.any():
        return Failure(
            MissingJudgeScores(
                n_missing=int(unjudged.sum()),
                lines=tuple(int(line) for line in dataset.lines[unjudged][:_QUOTED_LINES]),
            )
        )
    if n_labels < minimum:
        return Failure(TooFewOracleLabels(n_labels=n_labels, minimum=minimum))
    folds = assign_folds(dataset.cluster_hashes, dataset.clusters, config.n_folds, config.seed)
    judge = dataset.judge.values[labelled]
    oracle = dataset.oracle.values[labelled]
    label_folds = folds[labelled]
    per_fold = np.bincount(label_folds, minlength=config.n_folds)
    if np.any(n_labels - per_fold < config.min_labels_per_fold):
        return Failure(
            TooFewOracleLabels(
                n_labels=n_labels,
                minimum=minimum,
                reason=f"labels per fold {per_fold.tolist()} leave a fold without training labels",
            )
        )
    full = fit_isotonic(judge, oracle)
    fold_fits = tuple(
        fit_isotonic(judge[label_folds != fold], oracle[label_folds != fold]) for fold in range(config.n_folds)
    )
    out_of_fold = _pick(np.stack([fit.predict(judge) for fit in fold_fits]), label_folds)
    return Success(
        Calibration(
            full=full,
            fold_fits=fold_fits,
            folds=folds,
            n_labels=n_labels,
            rmse_in_sample=float(np.sqrt(np.mean((full.predict(judge) - oracle) ** 2))),
            rmse_out_of_fold=float(np.sqrt(np.mean((out_of_fold - oracle) ** 2))),
            config=config,
        )
    )
