from __future__ import annotations

from collections.abc import Sequence

import pytest
from returns.result import Failure, Success

from cje_fp.backends._tabular import TabularPolicy
from cje_fp.errors._log_prob import BadRequest, Timeout
from cje_fp.policy._faults import Fault, FaultPlan, inject_faults
from cje_fp.policy._protocol import BatchAsyncPolicy, BatchFunctionPolicy, LogProbResult

TABLE = {f"q{i}": {"a": -1.0} for i in range(400)}


def _failed_contexts(plan: FaultPlan) -> list[str]:
    policy = inject_faults(TabularPolicy(name="p", table=TABLE), plan)
    return [c for c in TABLE if isinstance(policy.compute_log_prob(c, "a"), Failure)]


def test_same_seed_same_faults_other_seed_other_faults() -> None:
    fault = Fault(outcome=BadRequest(), rate=0.25)
    first = _failed_contexts(FaultPlan(faults=(fault,), seed=1))
    assert first == _failed_contexts(FaultPlan(faults=(fault,), seed=1))
    assert first != _failed_contexts(FaultPlan(faults=(fault,), seed=2))
    assert 60 <= len(first) <= 140  # about a quarter of 400


def test_rates_partition_the_keys() -> None:
    plan = FaultPlan(faults=(Fault(outcome=Timeout(), rate=0.5), Fault(outcome=BadRequest(), rate=0.5)), seed=0)
    kinds = {plan.fault_for("p", c, "a") for c in TABLE}
    assert kinds == set(plan.faults)


def test_times_limits_a_transient_fault() -> None:
    plan = FaultPlan(faults=(Fault(outcome=Timeout(), rate=1.0, times=2),), seed=0)
    policy = inject_faults(TabularPolicy(name="p", table=TABLE), plan)
    assert [policy.compute_log_prob("q0", "a") for _ in range(3)] == [Failure(Timeout()), Failure(Timeout()), Success(-1.0)]
    assert plan.call_count("p", "q0", "a") == 3


def test_exceptions_are_raised() -> None:
    plan = FaultPlan(faults=(Fault(outcome=KeyError("gone"), rate=1.0),), seed=0)
    policy = inject_faults(TabularPolicy(name="p", table=TABLE), plan)
    with pytest.raises(KeyError):
        policy.compute_log_prob("q0", "a")


def test_rates_above_one_are_rejected() -> None:
    with pytest.raises(ValueError, match="sum to"):
        FaultPlan(faults=(Fault(outcome=Timeout(), rate=0.7), Fault(outcome=BadRequest(), rate=0.7)), seed=0)


def test_injected_faults_leave_the_policy_one_cell_per_call() -> None:
    # The README says so: a sampler then calls a policy wrapped in inject_faults cell by cell.
    async def one(context: str, response: str) -> LogProbResult:
        return Success(-1.0)

    async def many(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        return [Success(-1.0)] * len(pairs)

    chunked = BatchFunctionPolicy(name="p", call_async=one, call_batch=many)
    faulty = inject_faults(chunked, FaultPlan(faults=(Fault(outcome=Timeout(), rate=0.5),), seed=1))
    assert not isinstance(faulty, BatchAsyncPolicy)  # chunked offers it: a BatchFunctionPolicy
