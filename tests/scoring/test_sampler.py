from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from returns.result import Failure, Success
from tenacity import wait_fixed

from cje_fp.backends._tabular import TabularPolicy
from cje_fp.errors._log_prob import (
    BadRequest,
    BaseFailed,
    LogProbError,
    PolicyCrashed,
    RetriesExhausted,
    TargetFailed,
    Timeout,
    Unauthorized,
)
from cje_fp.policy._faults import Fault, FaultPlan, inject_faults
from cje_fp.policy._protocol import AsyncFunctionPolicy, AsyncPolicy, FunctionPolicy, LogProbResult, Policy
from cje_fp.policy._retry import retrying
from cje_fp.policy._validation import validated
from cje_fp.scoring import CellOutcome, MultiTargetSampler, Sample
from tests.conftest import error_of, value_of
from tests.helpers.tabular import FAULTS, SAMPLES, TABLES, fault_specs, tabular as _tabular


def _sampler(policies: list[Policy | AsyncPolicy], max_concurrency: int = 16) -> MultiTargetSampler:
    return MultiTargetSampler(policies=policies, base_policy_name="base", max_concurrency=max_concurrency)


def test_exact_log_probs_and_weights() -> None:
    batch = _sampler([_tabular(n) for n in TABLES]).process_batch(SAMPLES)
    assert [r.sample_id for r in batch.results] == [s.sample_id for s in SAMPLES]
    for sample, result in zip(SAMPLES, batch.results, strict=True):
        for name in TABLES:
            assert value_of(result.log_probs[name]) == TABLES[name][sample.context][sample.response]
        for target in ["t1", "t2", "t3"]:
            expected = TABLES[target][sample.context][sample.response] - TABLES["base"][sample.context][sample.response]
            assert result.log_weights[target] == Success(pytest.approx(expected))
    assert (batch.n_complete, batch.n_partial, batch.n_failed) == (12, 0, 0)
    assert set(batch.results[0].log_weights) == {"t1", "t2", "t3"}


def test_tuples_are_accepted_as_samples() -> None:
    sampler = _sampler([_tabular("base"), _tabular("t1")])
    assert sampler.process_sample(("x", "prompt 0", "no")) == sampler.process_sample(
        Sample(sample_id="x", context="prompt 0", response="no")
    )


def test_base_failure_fails_every_weight_and_target_failure_only_its_own() -> None:
    def failing(error: LogProbError) -> FunctionPolicy:
        return FunctionPolicy(name="base" if isinstance(error, Timeout) else "t2", call=lambda c, r: Failure(error))

    base_down = _sampler([failing(Timeout()), _tabular("t1"), _tabular("t2")]).process_batch(SAMPLES[:2])
    for result in base_down.results:
        assert result.status == "failed"
        assert all(w == Failure(BaseFailed(error=Timeout())) for w in result.log_weights.values())

    t2_down = _sampler([_tabular("base"), _tabular("t1"), failing(Unauthorized())]).process_batch(SAMPLES[:2])
    for result in t2_down.results:
        assert result.status == "partial"
        assert isinstance(result.log_weights["t1"], Success)
        assert result.log_weights["t2"] == Failure(TargetFailed(error=Unauthorized()))
    assert t2_down.failures_by_policy == {"base": {}, "t1": {}, "t2": {"unauthorized": 2}}


def test_a_crashing_backend_loses_no_sample() -> None:
    def crash(context: str, response: str) -> LogProbResult:
        if context == "prompt 1":
            raise ConnectionResetError("socket closed; api_key=sk-abcdefghijk123")
        return Success(TABLES["t1"][context][response])

    for workers in (1, 4):
        batch = _sampler([_tabular("base"), FunctionPolicy(name="t1", call=crash)], max_concurrency=workers).process_batch(SAMPLES)
        assert len(batch.results) == len(SAMPLES)
        crashed = [r for r in batch.results if isinstance(r.log_probs["t1"], Failure)]
        assert len(crashed) == 2
        error = error_of(crashed[0].log_probs["t1"])
        assert isinstance(error, PolicyCrashed)
        assert error.exception_type == "ConnectionResetError"
        assert "sk-abcdefghijk123" not in error.message and "[REDACTED]" in error.message


def test_concurrent_runs_equal_sequential_runs_in_input_order() -> None:
    def slow(name: str) -> FunctionPolicy:
        def call(context: str, response: str) -> LogProbResult:
            time.sleep(0.001 * (hash(response) % 3))
            return _tabular(name).compute_log_prob(context, response)

        return FunctionPolicy(name=name, call=call)

    policies: list[Policy | AsyncPolicy] = [slow(n) for n in TABLES]
    sequential = _sampler(policies, max_concurrency=1).process_batch(SAMPLES)
    threaded = _sampler(policies, max_concurrency=8).process_batch(SAMPLES)
    asynchronous = _sampler([_tabular(n) for n in TABLES], max_concurrency=8).process_batch(SAMPLES)
    assert sequential.results == threaded.results == asynchronous.results


def test_in_flight_calls_never_exceed_the_bound() -> None:
    lock = threading.Lock()
    state = {"now": 0, "peak": 0}

    def tracked(name: str) -> FunctionPolicy:
        def call(context: str, response: str) -> LogProbResult:
            with lock:
                state["now"] += 1
                state["peak"] = max(state["peak"], state["now"])
            time.sleep(0.002)
            with lock:
                state["now"] -= 1
            return _tabular(name).compute_log_prob(context, response)

        return FunctionPolicy(name=name, call=call)

    _sampler([tracked(n) for n in TABLES], max_concurrency=3).process_batch(SAMPLES)
    assert state["peak"] == 3


def test_async_policies_are_awaited_with_bounded_concurrency() -> None:
    state = {"now": 0, "peak": 0}

    def tracked(name: str) -> AsyncFunctionPolicy:
        async def call(context: str, response: str) -> LogProbResult:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            await asyncio.sleep(0.001)
            state["now"] -= 1
            return _tabular(name).compute_log_prob(context, response)

        return AsyncFunctionPolicy(name=name, call_async=call)

    sampler = _sampler([tracked(n) for n in TABLES], max_concurrency=5)
    batch = sampler.process_batch(SAMPLES)
    assert state["peak"] == 5
    assert batch.results == _sampler([_tabular(n) for n in TABLES]).process_batch(SAMPLES).results
    assert asyncio.run(sampler.process_batch_async(SAMPLES)).results == batch.results


def test_mixed_sync_and_async_policies() -> None:
    async def t1(context: str, response: str) -> LogProbResult:
        return _tabular("t1").compute_log_prob(context, response)

    mixed = _sampler([
        FunctionPolicy(name="base", call=_tabular("base").compute_log_prob),
        AsyncFunctionPolicy(name="t1", call_async=t1),
    ], max_concurrency=4)
    expected = _sampler([_tabular("base"), _tabular("t1")], max_concurrency=1).process_batch(SAMPLES)
    assert mixed.process_batch(SAMPLES).results == expected.results
    assert mixed.process_batch(SAMPLES, max_concurrency=1).results == expected.results


def test_on_cell_reports_every_cell_once() -> None:
    seen: list[CellOutcome] = []
    lock = threading.Lock()

    def record(outcome: CellOutcome) -> None:
        with lock:
            seen.append(outcome)

    _sampler([_tabular(n) for n in TABLES], max_concurrency=4).process_batch(SAMPLES, on_cell=record)
    assert Counter((o.sample_id, o.policy) for o in seen) == Counter(
        (s.sample_id, name) for s in SAMPLES for name in TABLES
    )


def test_to_arrays_keeps_valid_cells_and_explains_the_rest() -> None:
    plan = FaultPlan(faults=(Fault(outcome=BadRequest(), rate=0.4),), seed=3)
    policies: list[Policy | AsyncPolicy] = [_tabular("base"), inject_faults(_tabular("t1"), plan)]
    batch = _sampler(policies).process_batch(SAMPLES)
    column = batch.to_arrays("t1")
    failed_ids = {r.sample_id for r in batch.results if isinstance(r.log_probs["t1"], Failure)}
    assert 0 < len(failed_ids) < len(SAMPLES)
    assert {e.sample_id for e in column.excluded} == failed_ids
    assert column.excluded_by_reason == {"target_failed:bad_request": len(failed_ids)}
    assert column.mask.sum() == column.log_weights.size == len(SAMPLES) - len(failed_ids)
    assert [s.sample_id for s, keep in zip(SAMPLES, column.mask, strict=True) if keep] == list(column.sample_ids)
    expected = [value_of(r.log_weights["t1"]) for r in batch.results if r.sample_id not in failed_ids]
    np.testing.assert_array_equal(column.log_weights, expected)
    with pytest.raises(ValueError, match="unknown target"):
        batch.to_arrays("base")


def test_identity_check_reports_mismatches() -> None:
    shifted = {c: {r: v - 1e-3 for r, v in rs.items()} for c, rs in TABLES["base"].items()}
    sampler = MultiTargetSampler(
        policies=[_tabular("base"), TabularPolicy(name="clone", table=TABLES["base"]), TabularPolicy(name="drift", table=shifted)],
        base_policy_name="base",
        identical=[("base", "clone"), ("base", "drift")],
        identity_tolerance=1e-6,
    )
    batch = sampler.process_batch(SAMPLES)
    clone, drift = batch.identity_checks
    assert clone.passed and clone.n_compared == len(SAMPLES) and clone.max_abs_difference == 0.0
    assert not drift.passed and drift.n_mismatched == len(SAMPLES)
    assert drift.max_abs_difference == pytest.approx(1e-3)
    assert "identity base == drift: 12 mismatched" in batch.summary()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"base_policy_name": "missing"}, "not among the policies"),
        ({"policies": [TabularPolicy(name="base", table=TABLES["base"])]}, "at least one target"),
        ({"policies": [TabularPolicy(name="base", table=TABLES["base"])] * 2}, "unique"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"identical": [("base", "nope")]}, "unknown policies"),
    ],
)
def test_bad_configuration_is_rejected_at_construction(options: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"policies": [_tabular("base"), _tabular("t1")], "base_policy_name": "base"}
    arguments.update(options)
    with pytest.raises((ValueError, TypeError), match=message):
        MultiTargetSampler(**arguments)  # type: ignore[arg-type]  # deliberately built from a dict


def test_throughput_and_summary() -> None:
    ticks = iter([10.0, 12.0])
    batch = MultiTargetSampler(
        policies=[_tabular("base"), _tabular("t1")], base_policy_name="base", clock=lambda: next(ticks)
    ).process_batch(SAMPLES)
    assert batch.elapsed_seconds == 2.0 and batch.samples_per_second == 6.0
    assert batch.summary().startswith("12 samples x 2 policies: 12 complete, 0 partial, 0 failed; 0 retries")


# The property the design exists for --------------------------------------------------

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fault_specs, st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from([1, 3]))
def test_every_cell_is_the_truth_or_the_injected_failure(
    specs: list[tuple[str, float, int | None]], seed: int, workers: int
) -> None:
    max_attempts = 3
    plan = FaultPlan(faults=tuple(Fault(outcome=FAULTS[kind], rate=rate, times=times) for kind, rate, times in specs), seed=seed)
    policies: list[Policy | AsyncPolicy] = [
        retrying(
            inject_faults(validated(FunctionPolicy(name=name, call=_tabular(name).compute_log_prob)), plan),
            max_attempts=max_attempts,
            wait=wait_fixed(0.0),
            sleep=lambda seconds: None,
        )
        for name in TABLES
    ]
    batch = _sampler(policies, max_concurrency=workers).process_batch(SAMPLES)

    expected_retries = 0
    for sample, result in zip(SAMPLES, batch.results, strict=True):
        for name, cell in result.log_probs.items():
            truth = TABLES[name][sample.context][sample.response]
            fault = plan.fault_for(name, sample.context, sample.response)
            calls = plan.call_count(name, sample.context, sample.response)
            if fault is None:
                assert cell == Success(truth) and calls == 1
                continue
            outcome = fault.outcome
            if isinstance(outcome, Exception):
                assert isinstance(error_of(cell), PolicyCrashed) and calls == 1
            elif not outcome.transient:
                assert cell == Failure(outcome) and calls == 1
            elif fault.times is not None and fault.times < max_attempts:
                assert cell == Success(truth) and calls == fault.times + 1
                expected_retries += fault.times
            else:
                assert cell == Failure(RetriesExhausted(attempts=max_attempts, last=outcome))
                assert calls == max_attempts
                expected_retries += max_attempts - 1

    accounting = batch.accounting()
    assert accounting.balanced
    assert accounting.total == len(SAMPLES) * len(TABLES)
    assert batch.retries_used == expected_retries
    assert batch.n_complete + batch.n_partial + batch.n_failed == len(SAMPLES)


def test_known_cells_are_taken_as_given_and_not_called() -> None:
    calls: Counter[tuple[str, str]] = Counter()

    def counted(name: str) -> FunctionPolicy:
        def call(context: str, response: str) -> LogProbResult:
            calls[(name, context)] += 1
            return _tabular(name).compute_log_prob(context, response)

        return FunctionPolicy(name=name, call=call)

    known: dict[tuple[str, str], LogProbResult] = {
        ("s0", "base"): Success(-0.5),
        ("s0", "t1"): Failure(Timeout()),
        ("s1", "t1"): Success(-0.25),
    }
    reported: list[tuple[str, str]] = []
    for workers in (1, 4):
        calls.clear()
        reported.clear()
        batch = _sampler([counted("base"), counted("t1")], max_concurrency=workers).process_batch(
            SAMPLES[:3], known=known, on_cell=lambda outcome: reported.append((outcome.sample_id, outcome.policy))
        )
        first, second, _ = batch.results
        assert first.log_probs == {"base": Success(-0.5), "t1": Failure(Timeout())}
        assert second.log_probs["t1"] == Success(-0.25)
        assert second.log_weights["t1"] == Success(pytest.approx(-0.25 - TABLES["base"]["prompt 1"]["yes"]))
        assert sum(calls.values()) == 3  # s1/base, s2/base, s2/t1
        assert sorted(reported) == [("s1", "base"), ("s2", "base"), ("s2", "t1")]
