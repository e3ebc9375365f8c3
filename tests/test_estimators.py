"""IPS / SNIPS / calibrated IPS on arrays and datasets: closed forms, invariances, refusals, comparison."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from cje_fp.dataset import Dataset
from cje_fp.estimation_errors import EstimationError, InsufficientOverlap
from cje_fp.estimators import BASE, Comparison, Estimate, EstimatorName, compare, estimate
from cje_fp.estimators.core import TargetArrays, ips, snips
from cje_fp.results import sealed


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
    for name in ("snips", "ips"):
        estimator: EstimatorName = "snips" if name == "snips" else "ips"
        a = ok(estimate(first, "t", estimator=estimator, allow_flagged=True))
        b = ok(estimate(second, "t", estimator=estimator, allow_flagged=True))
        assert math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(a.se, b.se, rel_tol=1e-9, abs_tol=1e-12)


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
    a = ok(estimate(dataset(base, {"t": target}, rewards), "t", allow_flagged=True))
    b = ok(estimate(moved, "t", allow_flagged=True))
    assert math.isclose(a.value, b.value, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(a.ci[0], b.ci[0], rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=25, max_size=60))
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
