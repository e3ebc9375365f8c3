"""Isotonic calibration with scipy, cross-fitted over prompt folds; clear errors."""

from __future__ import annotations

import numpy as np
from returns.result import Failure, Success

from cje_fp.data._dataset import Dataset, hash_ids
from cje_fp.data._folds import assign_folds, cluster_folds
from cje_fp.estimation._calibration import CalibrationConfig, calibrate, fit_isotonic


def test_isotonic_pools_ties_and_is_monotone() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 10, 300).astype(float)
    y = np.clip(x / 10 + rng.normal(0, 0.3, 300), 0, 1)
    fit = fit_isotonic(x, y)
    assert np.all(np.diff(fit.values) >= 0)
    assert fit.knots.size == 10
    # PAV preserves the mean
    assert np.isclose(np.mean(fit.predict(x)), y.mean())
    decreasing = fit_isotonic(x, 1 - y, increasing=False)
    assert np.all(np.diff(decreasing.values) <= 0)


def labelled_dataset(n: int, labelled_every: int, judge_missing: int = -1) -> Dataset:
    rng = np.random.default_rng(1)
    judge = rng.uniform(size=n)
    return Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)],
        base_log_prob=[-1.0] * n,
        target_log_probs={"t": [-1.0] * n},
        judge_score=[None if i == judge_missing else float(s) for i, s in enumerate(judge)],
        oracle_label=[float(s) ** 2 if i % labelled_every == 0 else None for i, s in enumerate(judge)],
    )


def test_cross_fitted_maps_never_see_their_fold() -> None:
    data = labelled_dataset(400, 2)
    calibration = calibrate(data).value_or(None)
    assert calibration is not None
    assert calibration.n_labels == 200 and len(calibration.fold_fits) == 5
    judge = data.judge.values
    out_of_fold = calibration.out_of_fold(judge, calibration.folds)
    in_sample = calibration.rewards(judge)
    assert calibration.rmse_out_of_fold > calibration.rmse_in_sample
    # a fold's map is the fit on the other folds' labels
    labelled = data.oracle.present
    fold = 2
    train = labelled & (calibration.folds != fold)
    refit = fit_isotonic(judge[train], data.oracle.values[train])
    rows = calibration.folds == fold
    np.testing.assert_allclose(out_of_fold[rows], refit.predict(judge[rows]))
    assert not np.allclose(out_of_fold, in_sample)


def test_too_few_labels_and_missing_judge_scores_are_errors() -> None:
    few = calibrate(labelled_dataset(40, 5))
    assert few.alt(lambda e: e.kind) == Failure("too_few_oracle_labels")
    missing = calibrate(labelled_dataset(100, 2, judge_missing=4))
    assert missing.alt(lambda e: e.kind) == Failure("missing_judge_scores")
    assert calibrate(labelled_dataset(100, 2), CalibrationConfig(n_folds=3)).map(lambda c: len(c.fold_fits)) == Success(3)


def test_folds_depend_on_prompt_only_and_are_balanced() -> None:
    hashes = hash_ids([f"prompt-{i}" for i in range(5000)])
    folds = cluster_folds(hashes, 5, seed=42)
    counts = np.bincount(folds, minlength=5)
    assert counts.min() > 900 and counts.max() < 1100
    assert np.array_equal(folds, cluster_folds(hashes, 5, seed=42))
    assert not np.array_equal(folds, cluster_folds(hashes, 5, seed=43))
    rows = assign_folds(hashes[:3], np.array([2, 0, 2, 1]), 5, 42)
    assert rows[0] == rows[2]
