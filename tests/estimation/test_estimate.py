"""``estimate`` and ``estimate_all`` on datasets: invariances, refusals, typed failures, exclusions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from returns.result import Failure, Success

from cje_fp.data._dataset import Dataset
from cje_fp.errors._sealed import sealed
from cje_fp.estimation import BASE, Comparison, Estimate, EstimatorName, _rewards, compare, estimate, estimate_all
from cje_fp.estimation._calibration import CalibrationConfig, calibrate
from cje_fp.estimation._errors import InsufficientOverlap, NonFiniteEstimate, TooFewClusters, WeightUnderflow
from tests.helpers.estimation import ALL_THREE, assert_same, dataset, poor_overlap_dataset
from tests.helpers.results import error_of, value_of

weights_strategy = st.lists(st.floats(-5.0, 5.0), min_size=30, max_size=60)


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
        a = value_of(estimate(first, "t", estimator=estimator, allow_flagged=True))
        b = value_of(estimate(second, "t", estimator=estimator, allow_flagged=True))
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
        a = value_of(estimate(original, "t", estimator=estimator, allow_flagged=True))
        b = value_of(estimate(moved, "t", estimator=estimator, allow_flagged=True))
        assert_same(a, b)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=30, max_size=60))
def test_unit_weights_give_the_on_policy_mean(rewards: list[float]) -> None:
    n = len(rewards)
    data = dataset([-3.0] * n, {"same": [-3.0] * n}, rewards)
    estimators: tuple[EstimatorName, ...] = ("ips", "snips", "calibrated-ips")
    for estimator in estimators:
        result = value_of(estimate(data, "same", estimator=estimator))
        assert math.isclose(result.value, float(np.mean(rewards)), rel_tol=1e-9, abs_tol=1e-12)
    difference = compare(data, "same", BASE)
    match sealed(difference):
        case Success(comparison):
            assert isinstance(comparison, Comparison)
            assert abs(comparison.difference) < 1e-12 and comparison.se < 1e-9
        case Failure(problem):
            raise AssertionError(problem)


def test_poor_overlap_is_refused_unless_flagged_estimates_are_asked_for() -> None:
    data = poor_overlap_dataset()
    refusal = error_of(estimate(data, "t"))
    assert isinstance(refusal, InsufficientOverlap)
    assert any("ESS" in reason for reason in refusal.reasons)
    assert refusal.diagnostics.max_weight_share > 0.9
    flagged = value_of(estimate(data, "t", allow_flagged=True))
    assert flagged.flagged and flagged.diagnostics.gates.level == "refuse"


def test_options_and_names_are_checked() -> None:
    data = dataset([-1.0] * 30, {"t": [-1.0] * 30}, [0.5] * 30)
    assert error_of(estimate(data, "nope")).kind == "unknown_policy"
    assert error_of(estimate(data, "t", level=1.5)).kind == "invalid_option"
    assert error_of(estimate(data, "t", estimator="not-an-estimator")).kind == "invalid_option"
    small = dataset([-1.0] * 5, {"t": [-1.0] * 5}, [0.5] * 5)
    assert error_of(estimate(small, "t")).kind == "too_few_rows"


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
    result = value_of(estimate(data, "t", reward="oracle"))
    assert result.excluded == {"base_log_prob:null": 1, "target_log_prob:null": 1, "no_oracle_label": 1}
    assert result.n_used + result.n_excluded == n
    assert result.se_oracle is None


def test_fewer_than_five_prompts_is_a_typed_failure_not_a_nan_interval() -> None:
    n = 200
    rewards = list(np.random.default_rng(5).uniform(size=n))
    single = dataset([-1.0] * n, {"t": [-1.0] * n}, rewards, ["same"] * n)
    for estimator in ALL_THREE:
        failure = error_of(estimate(single, "t", estimator=estimator))
        assert isinstance(failure, TooFewClusters) and failure.n_clusters == 1 and failure.minimum == 5
    four = dataset([-1.0] * n, {"t": [-1.0] * n}, rewards, [f"p{i % 4}" for i in range(n)])
    assert error_of(estimate(four, "t")).kind == "too_few_clusters"
    five = dataset([-1.0] * n, {"t": [-1.0] * n}, rewards, [f"p{i % 5}" for i in range(n)])
    for estimator in ALL_THREE:
        result = value_of(estimate(five, "t", estimator=estimator))
        # five prompts: four degrees of freedom, whether clustered IF or delete-one-prompt jackknife
        assert result.df == 4 and result.n_clusters == 5 and math.isfinite(result.ci[1])


def test_huge_and_vanishing_ips_weights_give_finite_numbers_or_typed_failures() -> None:
    n = 200
    rewards = list(np.random.default_rng(0).uniform(size=n))
    one_huge = [-401.0 + (400.0 if i == 0 else 0.0) for i in range(n)]
    data = dataset([-401.0] * n, {"t": one_huge}, rewards)
    flagged_ips = value_of(estimate(data, "t", estimator="ips", allow_flagged=True))
    # the squared influence overflows; the SE is computed on scaled values instead
    assert flagged_ips.flagged and math.isfinite(flagged_ips.se) and flagged_ips.se > 1e170
    assert all(math.isfinite(bound) for bound in flagged_ips.ci)
    vanishing = dataset([-1.0] * n, {"t": [-801.0] * n}, rewards)
    underflow = error_of(estimate(vanishing, "t", estimator="ips", allow_flagged=True))
    assert isinstance(underflow, WeightUnderflow) and underflow.target == "t"
    assert error_of(estimate(vanishing, "t", estimator="ips")).kind == "insufficient_overlap"


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
    failure = error_of(estimate(data, "t", estimator="snips", allow_flagged=True))
    assert isinstance(failure, NonFiniteEstimate) and failure.quantity == "value"
    assert "not a number" in failure.describe()


def test_ips_refuses_weights_that_cannot_be_probability_ratios() -> None:
    n = 200
    rewards = list(np.random.default_rng(1).uniform(size=n))
    data = dataset([-5.0] * n, {"t": [-3.0] * n}, rewards)  # every weight e^2: mean 7.4, not <= 1
    unnormalised: tuple[EstimatorName, ...] = ("ips", "clipped-ips")
    for estimator in unnormalised:
        refusal = error_of(estimate(data, "t", estimator=estimator))
        assert isinstance(refusal, InsufficientOverlap)
        assert any("mean weight 7.39" in reason for reason in refusal.reasons)
    self_normalised = value_of(estimate(data, "t", estimator="snips"))
    assert not self_normalised.flagged and self_normalised.diagnostics.status.level == "warn"
    assert any("mean weight" in warning for warning in self_normalised.diagnostics.status.warnings)


def test_clustered_rows_do_not_count_as_independent() -> None:
    rng = np.random.default_rng(4)
    n = 200
    base = list(rng.uniform(-5.0, -1.0, n))
    target = [b + rng.normal(0.0, 0.3) for b in base]
    rewards = list(rng.uniform(size=n))
    single = value_of(estimate(dataset(base, {"t": target}, rewards), "t"))
    doubled = value_of(
        estimate(dataset(base * 2, {"t": target * 2}, rewards * 2, [f"p{i}" for i in range(n)] * 2), "t")
    )
    assert math.isclose(single.value, doubled.value, rel_tol=1e-12)
    assert math.isclose(single.se, doubled.se, rel_tol=1e-9)
    assert doubled.n_clusters == n and doubled.n_used == 2 * n


def test_estimate_all_hands_a_calibration_failure_to_every_pair_that_needs_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fits: list[int] = []

    def counted(data: Dataset, config: CalibrationConfig = CalibrationConfig()) -> object:
        fits.append(1)
        return calibrate(data, config)

    monkeypatch.setattr(_rewards, "calibrate", counted)
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
