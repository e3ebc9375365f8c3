"""Rewards: the calibrated judge with the oracle labels' residual correction, and the incumbent's plug-in."""

from __future__ import annotations

import math

import numpy as np

from cje_fp.data._dataset import Dataset
from cje_fp.estimation import EstimationConfig, estimate
from cje_fp.estimation._calibration import calibrate
from cje_fp.estimation._errors import TooFewOracleLabels
from cje_fp.scoring import mean_one_weights
from tests.helpers.estimation import calibrated_dataset
from tests.helpers.results import error_of, value_of


def test_calibrated_rewards_get_the_labels_residual_correction() -> None:
    data, _ = calibrated_dataset(600, judge_noise=0.15)
    fit = value_of(calibrate(data))
    judge, labelled = data.judge.values, data.oracle.present
    weights = mean_one_weights(data.targets["t"].values - data.base.values)
    out_of_fold = fit.out_of_fold(judge, fit.folds)
    residuals = np.where(labelled, data.oracle.values - out_of_fold, 0.0)
    plug_in = float(np.dot(weights, out_of_fold) / weights.sum())
    correction = float(np.dot(weights * labelled, residuals) / np.sum(weights * labelled))
    result = value_of(estimate(data, "t", estimator="snips"))
    assert math.isclose(result.value, plug_in + correction, rel_tol=1e-12)
    summary = result.diagnostics.calibration
    assert summary is not None and summary.mode == "residual-corrected"
    assert summary.residual_correction is not None and math.isclose(summary.residual_correction, correction)
    assert summary.n_labels_used == int(labelled.sum()) and correction > 0.01  # the judge misses the preference
    assert result.se_oracle is not None and 0 < result.se_oracle < result.se
    # the incumbent's plug-in: R = f_all(S) on every row, OUA added in quadrature, no correction
    incumbent = value_of(estimate(data, "t", estimator="snips", config=EstimationConfig(oracle_correction=False)))
    full = fit.rewards(judge)
    assert math.isclose(incumbent.value, float(np.dot(weights, full) / weights.sum()), rel_tol=1e-12)
    assert incumbent.se_oracle is not None
    assert math.isclose(incumbent.se**2, incumbent.se_sampling**2 + incumbent.se_oracle**2, rel_tol=1e-9)
    assert incumbent.diagnostics.calibration is not None and incumbent.diagnostics.calibration.mode == "plug-in"


def test_the_residual_correction_needs_labelled_rows_the_target_can_use() -> None:
    data, _ = calibrated_dataset(300, judge_noise=0.1)
    labelled = data.oracle.present
    # the target's log prob is missing on every labelled row but one
    keep_one = labelled & (np.cumsum(labelled) == 1)
    target = np.where(labelled & ~keep_one, np.nan, data.targets["t"].values)
    column = [None if np.isnan(value) else float(value) for value in target]
    blind = Dataset.from_arrays(
        prompt_ids=list(data.prompt_ids), base_log_prob=list(data.base.values), target_log_probs={"t": column},
        judge_score=list(data.judge.values),
        oracle_label=[float(y) if flag else None for y, flag in zip(data.oracle.values, labelled, strict=True)],
    )
    failure = error_of(estimate(blind, "t"))
    assert isinstance(failure, TooFewOracleLabels) and failure.n_labels == 1 and "'t'" in failure.reason
