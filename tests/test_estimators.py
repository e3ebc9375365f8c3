"""IPS / SNIPS / calibrated IPS on arrays and datasets: closed forms, invariances, refusals, comparison."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from cje_fp.estimation._calibration import CalibrationConfig, calibrate
from cje_fp.data._dataset import Dataset
from cje_fp.estimation._errors import (
    EstimationError,
    InformativeMissingness,
    InsufficientOverlap,
    NonFiniteEstimate,
    TooFewClusters,
    TooFewOracleLabels,
    WeightUnderflow,
)
from cje_fp.estimation import BASE, Comparison, Estimate, EstimationConfig, EstimatorName, compare, estimate
from cje_fp.estimation import _api as api
from cje_fp.estimation._api import estimate_all
from cje_fp.estimation.estimators._core import TargetArrays, group_ratio, ips, mean_one, snips
from cje_fp.estimation._inference import jackknife_se
from cje_fp.estimation.estimators._simcal import SimcalConfig, calibrated_ips
from cje_fp.data._folds import assign_folds
from cje_fp.errors._sealed import sealed
from tests.conftest import error_of, value_of


def ok(result: Result[Estimate, EstimationError]) -> Estimate:
    match sealed(result):
        case Success(value):
            return value
        case Failure(problem):
            raise AssertionError(f"expected an estimate, got {problem.describe()}")


def error(result: Result[Estimate, EstimationError]) -> EstimationError:
    match sealed(result):
        case Failure(problem):
            return problem
        case Success(value):
            raise AssertionError(f"expected a failure, got {value.describe()}")


def dataset(base: list[float], targets: dict[str, list[float]], rewards: list[float], ids: list[str] | None = None) -> Dataset:
    return Dataset.from_arrays(
        prompt_ids=ids or [f"p{i}" for i in range(len(base))],
        base_log_prob=base,
        target_log_probs={name: list(values) for name, values in targets.items()},
        judge_score=rewards,
        oracle_label=rewards,
    )


def arrays(log_weights: list[float], rewards: list[float]) -> TargetArrays:
    n = len(log_weights)
    return TargetArrays(
        log_weights=np.array(log_weights), rewards=np.array(rewards), reward_replicates=None,
        clusters=np.arange(n), groups=np.arange(n) % 4, n_groups=4,
    )


def test_closed_forms_of_ips_and_snips() -> None:
    run = arrays([math.log(2.0), math.log(0.5), 0.0, 0.0], [1.0, 0.0, 0.5, 0.0])
    assert math.isclose(snips(run).value, (2.0 * 1.0 + 0.5 * 0.0 + 1.0 * 0.5 + 1.0 * 0.0) / 4.5)
    ips_value = ips(run).map(lambda r: r.value)
    assert ips_value == Success((2.0 + 0.0 + 0.5 + 0.0) / 4)


def test_clipping_caps_weights_and_counts_them() -> None:
    run = arrays([math.log(1000.0), 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0])
    clipped = snips(run, clip_at=2.0)
    assert clipped.n_clipped == 1 and clipped.value < snips(run).value
    assert math.isclose(clipped.final_weights.mean(), 1.0)


def test_ips_refuses_to_overflow() -> None:
    outcome = ips(arrays([800.0, 0.0], [1.0, 0.0]))
    assert outcome.alt(lambda e: e.kind) == Failure("weight_overflow")


weights_strategy = st.lists(st.floats(-5.0, 5.0), min_size=30, max_size=60)


ALL_THREE: tuple[EstimatorName, ...] = ("snips", "ips", "calibrated-ips")


def assert_same(a: Estimate, b: Estimate) -> None:
    """Value, SE and the whole interval agree (to rounding)."""
    for x, y in ((a.value, b.value), (a.se, b.se), (a.ci[0], b.ci[0]), (a.ci[1], b.ci[1]), (a.df, b.df)):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (a.describe(), b.describe())
    calibration_a, calibration_b = a.diagnostics.weight_calibration, b.diagnostics.weight_calibration
    assert (calibration_a is None) == (calibration_b is None)
    if calibration_a is not None and calibration_b is not None:
        assert calibration_a.status == calibration_b.status


@settings(max_examples=40, deadline=None)
@given(weights_strategy, st.data())
def test_permuting_rows_changes_nothing(log_weights: list[float], data: st.DataObject) -> None:
    n = len(log_weights)
    rewards = data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    base = [-10.0] * n
    target = [b + lw - 6.0 for b, lw in zip(base, log_weights, strict=True)]
    order = data.draw(st.permutations(range(n)))
    first = dataset(base, {"t": target}, rewards)
    second = dataset([base[i] for i in order], {"t": [target[i] for i in order]}, [rewards[i] for i in order],
                     [f"p{i}" for i in order])
    for estimator in ALL_THREE:
        a = ok(estimate(first, "t", estimator=estimator, allow_flagged=True))
        b = ok(estimate(second, "t", estimator=estimator, allow_flagged=True))
        assert_same(a, b)


@settings(max_examples=40, deadline=None)
@given(weights_strategy, st.floats(-50.0, 50.0), st.data())
def test_adding_a_constant_to_a_policy_pair_changes_nothing(
    log_weights: list[float], shift: float, data: st.DataObject
) -> None:
    n = len(log_weights)
    rewards = data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    base = [-60.0] * n
    target = [-60.0 + lw - 6.0 for lw in log_weights]
    moved = dataset([b + shift for b in base], {"t": [t + shift for t in target]}, rewards)
    original = dataset(base, {"t": target}, rewards)
    for estimator in ALL_THREE:
        a = ok(estimate(original, "t", estimator=estimator, allow_flagged=True))
        b = ok(estimate(moved, "t", estimator=estimator, allow_flagged=True))
        assert_same(a, b)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=30, max_size=60))
def test_unit_weights_give_the_on_policy_mean(rewards: list[float]) -> None:
    n = len(rewards)
    data = dataset([-3.0] * n, {"same": [-3.0] * n}, rewards)
    estimators: tuple[EstimatorName, ...] = ("ips", "snips", "calibrated-ips")
    for estimator in estimators:
        result = ok(estimate(data, "same", estimator=estimator))
        assert math.isclose(result.value, float(np.mean(rewards)), rel_tol=1e-9, abs_tol=1e-12)
    difference = compare(data, "same", BASE)
    match sealed(difference):
        case Success(comparison):
            assert isinstance(comparison, Comparison)
            assert abs(comparison.difference) < 1e-12 and comparison.se < 1e-9
        case Failure(problem):
            raise AssertionError(problem)


def test_poor_overlap_is_refused_unless_flagged_estimates_are_asked_for() -> None:
    rng = np.random.default_rng(0)
    n = 400
    base = list(rng.uniform(-30.0, -10.0, n))
    target = [b + (20.0 if i == 0 else -15.0 * rng.uniform()) for i, b in enumerate(base)]
    target = [min(t, 0.0) for t in target]
    rewards = list(rng.uniform(size=n))
    data = dataset(base, {"t": target}, rewards)
    refusal = error(estimate(data, "t"))
    assert isinstance(refusal, InsufficientOverlap)
    assert any("ESS" in reason for reason in refusal.reasons)
    assert refusal.diagnostics.max_weight_share > 0.9
    flagged = ok(estimate(data, "t", allow_flagged=True))
    assert flagged.flagged and flagged.diagnostics.gates.level == "refuse"


def test_options_and_names_are_checked() -> None:
    data = dataset([-1.0] * 30, {"t": [-1.0] * 30}, [0.5] * 30)
    assert error(estimate(data, "nope")).kind == "unknown_policy"
    assert error(estimate(data, "t", level=1.5)).kind == "invalid_option"
    assert error(estimate(data, "t", estimator="dr")).kind == "invalid_option"  # type: ignore[arg-type]  # a bad name on purpose
    small = dataset([-1.0] * 5, {"t": [-1.0] * 5}, [0.5] * 5)
    assert error(estimate(small, "t")).kind == "too_few_rows"


def test_excluded_rows_are_counted_and_accounted_for() -> None:
    n = 60
    base: list[float | None] = [-1.0] * n
    base[0] = None
    target: list[float | None] = [-1.2] * n
    target[1] = None
    labels: list[float | None] = [float(i % 2) for i in range(n)]
    labels[2] = None
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=base, target_log_probs={"t": target},
        judge_score=[0.5] * n, oracle_label=labels,
    )
    result = ok(estimate(data, "t", reward="oracle"))
    assert result.excluded == {"base_log_prob:null": 1, "target_log_prob:null": 1, "no_oracle_label": 1}
    assert result.n_used + result.n_excluded == n
    assert result.se_oracle is None


def test_fewer_than_five_prompts_is_a_typed_failure_not_a_nan_interval() -> None:
    n = 200
    rewards = list(np.random.default_rng(5).uniform(size=n))
    single = dataset([-1.0] * n, {"t": [-1.0] * n}, rewards, ["same"] * n)
    for estimator in ALL_THREE:
        failure = error(estimate(single, "t", estimator=estimator))
        assert isinstance(failure, TooFewClusters) and failure.n_clusters == 1 and failure.minimum == 5
    four = dataset([-1.0] * n, {"t": [-1.0] * n}, rewards, [f"p{i % 4}" for i in range(n)])
    assert error(estimate(four, "t")).kind == "too_few_clusters"
    five = dataset([-1.0] * n, {"t": [-1.0] * n}, rewards, [f"p{i % 5}" for i in range(n)])
    for estimator in ALL_THREE:
        result = ok(estimate(five, "t", estimator=estimator))
        # five prompts: four degrees of freedom, whether clustered IF or delete-one-prompt jackknife
        assert result.df == 4 and result.n_clusters == 5 and math.isfinite(result.ci[1])


def test_the_jackknife_counts_only_groups_that_hold_rows() -> None:
    rng = np.random.default_rng(6)
    n = 200
    groups = np.array([0, 3, 7, 11, 19])[np.arange(n) % 5]
    runs = TargetArrays(
        log_weights=rng.normal(0.0, 0.5, n), rewards=rng.uniform(size=n), reward_replicates=None,
        clusters=np.arange(n), groups=groups, n_groups=20,
        index_codes=np.arange(n) % 7, index_levels=np.linspace(0.0, 1.0, 7), inner_folds=np.arange(n) % 3,
    )
    assert snips(runs).group_replicates.size == 5
    assert jackknife_se(snips(runs).group_replicates)[1] == 4
    calibrated, _ = calibrated_ips(runs, SimcalConfig())
    assert calibrated.group_replicates.size == 5
    assert group_ratio(np.ones(4), np.ones(4), np.array([1, 1, 4, 4]), 6).tolist() == [1.0, 1.0]
    # through the API: 25 prompts hashed into 20 groups leave some empty; K counts the others
    ids = [f"q{i % 25}" for i in range(n)]
    log_weights = np.clip(rng.normal(0.0, 0.3, n), -1.0, 1.0)
    data = dataset([-2.0] * n, {"t": list(-2.0 + log_weights)}, list(rng.uniform(size=n)), ids)
    result = ok(estimate(data, "t", estimator="calibrated-ips"))
    calibration = result.diagnostics.weight_calibration
    assert calibration is not None and calibration.status == "applied"
    non_empty = np.unique(assign_folds(data.cluster_hashes, data.clusters, 20, SimcalConfig().group_seed)).size
    assert non_empty < 20 and result.df == non_empty - 1
    # at most 20 prompts: one jackknife group per prompt
    eight = dataset([-2.0] * n, {"t": [-2.0] * n}, list(rng.uniform(size=n)), [f"p{i % 8}" for i in range(n)])
    assert ok(estimate(eight, "t", estimator="calibrated-ips")).df == 7


def test_huge_and_vanishing_ips_weights_give_finite_numbers_or_typed_failures() -> None:
    n = 200
    rewards = list(np.random.default_rng(0).uniform(size=n))
    one_huge = [-401.0 + (400.0 if i == 0 else 0.0) for i in range(n)]
    data = dataset([-401.0] * n, {"t": one_huge}, rewards)
    flagged_ips = ok(estimate(data, "t", estimator="ips", allow_flagged=True))
    # the squared influence overflows; the SE is computed on scaled values instead
    assert flagged_ips.flagged and math.isfinite(flagged_ips.se) and flagged_ips.se > 1e170
    assert all(math.isfinite(bound) for bound in flagged_ips.ci)
    vanishing = dataset([-1.0] * n, {"t": [-801.0] * n}, rewards)
    underflow = error(estimate(vanishing, "t", estimator="ips", allow_flagged=True))
    assert isinstance(underflow, WeightUnderflow) and underflow.target == "t"
    assert error(estimate(vanishing, "t", estimator="ips")).kind == "insufficient_overlap"


def test_the_last_check_turns_a_non_finite_number_into_a_typed_failure() -> None:
    # the labelled rows carry no weight under the target: the residual correction is 0/0
    n = 200
    rng = np.random.default_rng(8)
    judge = rng.uniform(size=n)
    labelled = np.arange(n) % 4 == 0
    target = np.where(labelled, -850.0, -1.0)
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=[-1.0] * n, target_log_probs={"t": list(target)},
        judge_score=list(judge),
        oracle_label=[float(s) if flag else None for s, flag in zip(judge, labelled, strict=True)],
    )
    failure = error(estimate(data, "t", estimator="snips", allow_flagged=True))
    assert isinstance(failure, NonFiniteEstimate) and failure.quantity == "value"
    assert "not a number" in failure.describe()


def test_ips_refuses_weights_that_cannot_be_probability_ratios() -> None:
    n = 200
    rewards = list(np.random.default_rng(1).uniform(size=n))
    data = dataset([-5.0] * n, {"t": [-3.0] * n}, rewards)  # every weight e^2: mean 7.4, not <= 1
    unnormalised: tuple[EstimatorName, ...] = ("ips", "clipped-ips")
    for estimator in unnormalised:
        refusal = error(estimate(data, "t", estimator=estimator))
        assert isinstance(refusal, InsufficientOverlap)
        assert any("mean weight 7.39" in reason for reason in refusal.reasons)
    self_normalised = ok(estimate(data, "t", estimator="snips"))
    assert not self_normalised.flagged and self_normalised.diagnostics.status.level == "warn"
    assert any("mean weight" in warning for warning in self_normalised.diagnostics.status.warnings)


def test_weight_calibration_is_skipped_when_the_raw_weights_fail_the_gates() -> None:
    rng = np.random.default_rng(0)
    n = 400
    base = list(rng.uniform(-30.0, -10.0, n))
    target = [min(0.0, b + (20.0 if i == 0 else -15.0 * rng.uniform())) for i, b in enumerate(base)]
    data = dataset(base, {"t": target}, list(rng.uniform(size=n)))
    calibrated = ok(estimate(data, "t", estimator="calibrated-ips", allow_flagged=True))
    plain = ok(estimate(data, "t", estimator="snips", allow_flagged=True))
    calibration = calibrated.diagnostics.weight_calibration
    assert calibration is not None and calibration.status == "skipped" and calibration.shift is None
    assert calibrated.value == plain.value and calibrated.se == plain.se
    assert calibrated.flagged and any("skipped" in warning for warning in calibrated.diagnostics.gates.warnings)
    assert calibrated.diagnostics.final_ess_fraction < 0.1  # not the projection's cosmetic ESS


def calibrated_dataset(n: int, judge_noise: float, seed: int = 3) -> tuple[Dataset, np.ndarray]:
    """A target preferring responses better than their judge score says; 30% of rows labelled."""
    rng = np.random.default_rng(seed)
    oracle = rng.uniform(size=n)
    judge = np.clip(oracle + rng.normal(0.0, judge_noise, n), 0.0, 1.0)
    log_weights = 1.5 * (oracle - judge) + rng.normal(0.0, 0.2, n)
    labelled = rng.uniform(size=n) < 0.3
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=[-5.0] * n,
        target_log_probs={"t": list(np.minimum(-5.0 + log_weights, 0.0))}, judge_score=list(judge),
        oracle_label=[float(y) if flag else None for y, flag in zip(oracle, labelled, strict=True)],
    )
    return data, log_weights


def test_calibrated_rewards_get_the_labels_residual_correction() -> None:
    data, _ = calibrated_dataset(600, judge_noise=0.15)
    fit = value_of(calibrate(data))
    judge, labelled = data.judge.values, data.oracle.present
    weights = mean_one(data.targets["t"].values - data.base.values)
    out_of_fold = fit.out_of_fold(judge, fit.folds)
    residuals = np.where(labelled, data.oracle.values - out_of_fold, 0.0)
    plug_in = float(np.dot(weights, out_of_fold) / weights.sum())
    correction = float(np.dot(weights * labelled, residuals) / np.sum(weights * labelled))
    result = ok(estimate(data, "t", estimator="snips"))
    assert math.isclose(result.value, plug_in + correction, rel_tol=1e-12)
    summary = result.diagnostics.calibration
    assert summary is not None and summary.mode == "residual-corrected"
    assert summary.residual_correction is not None and math.isclose(summary.residual_correction, correction)
    assert summary.n_labels_used == int(labelled.sum()) and correction > 0.01  # the judge misses the preference
    assert result.se_oracle is not None and 0 < result.se_oracle < result.se
    # the incumbent's plug-in: R = f_all(S) on every row, OUA added in quadrature, no correction
    incumbent = ok(estimate(data, "t", estimator="snips", config=EstimationConfig(oracle_correction=False)))
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
    failure = error(estimate(blind, "t"))
    assert isinstance(failure, TooFewOracleLabels) and failure.n_labels == 1 and "'t'" in failure.reason


def test_estimate_all_hands_a_calibration_failure_to_every_pair_that_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fits: list[int] = []

    def counted(data: Dataset, config: CalibrationConfig = CalibrationConfig()) -> object:
        fits.append(1)
        return calibrate(data, config)

    monkeypatch.setattr(api, "calibrate", counted)
    n = 100
    judge = list(np.linspace(0.0, 1.0, n))
    few_labels = [0.5 if i < 4 else None for i in range(n)]
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=[-1.0] * n,
        target_log_probs={"a": [-1.0] * n, "b": [-1.1] * n}, judge_score=judge, oracle_label=few_labels,
    )
    table = estimate_all(data, estimators=("snips", "calibrated-ips"))
    kinds = {(target, estimator): error_of(result).kind for target, estimator, result in table}
    assert set(kinds.values()) == {"too_few_oracle_labels"} and len(kinds) == 4
    assert len(fits) == 1  # fitted once; its failure is handed on, not swallowed and refitted per pair
    judged = estimate_all(data, estimators=("snips",), reward="judge")
    assert all(isinstance(value_of(result), Estimate) for _, _, result in judged)


def test_compare_checks_both_policies_and_the_rows_it_cannot_use() -> None:
    rng = np.random.default_rng(11)
    n = 600
    judge = rng.uniform(size=n)
    baseline = [None if s < 0.2 else -2.0 + float(rng.normal(0.0, 0.1)) for s in judge]
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=[-2.0] * n,
        target_log_probs={"t": list(-2.0 + rng.normal(0.0, 0.1, n)), "b": baseline},
        judge_score=list(judge), oracle_label=list(judge),
    )
    refusal = compare(data, "t", "b")
    match sealed(refusal):
        case Failure(InformativeMissingness(reasons=reasons)):
            assert "judge_score" in " ".join(reasons)
        case other:
            raise AssertionError(f"expected an informative-missingness refusal, got {other!r}")
    match sealed(compare(data, "t", "b", allow_flagged=True)):
        case Success(comparison):
            assert comparison.flagged and comparison.gates.level == "refuse"
            assert comparison.n_used == sum(value is not None for value in baseline)
        case Failure(problem):
            raise AssertionError(problem.describe())


def test_clustered_rows_do_not_count_as_independent() -> None:
    rng = np.random.default_rng(4)
    n = 200
    base = list(rng.uniform(-5.0, -1.0, n))
    target = [b + rng.normal(0.0, 0.3) for b in base]
    rewards = list(rng.uniform(size=n))
    single = ok(estimate(dataset(base, {"t": target}, rewards), "t"))
    doubled = ok(
        estimate(dataset(base * 2, {"t": target * 2}, rewards * 2, [f"p{i}" for i in range(n)] * 2), "t")
    )
    assert math.isclose(single.value, doubled.value, rel_tol=1e-12)
    assert math.isclose(single.se, doubled.se, rel_tol=1e-9)
    assert doubled.n_clusters == n and doubled.n_used == 2 * n
