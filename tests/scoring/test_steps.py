"""The pure scoring steps: a user's own flow of them equals the sampler, and a bare Result is a typed cell."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st
from returns.pipeline import flow
from returns.result import Failure, Result, Success
from tenacity import wait_fixed

from cje_fp.errors import PolicyCrashed
from cje_fp.policy import Fault, FaultPlan, FunctionPolicy, LogProbResult, Policy, inject_faults, retrying, validated
from cje_fp.scoring import (
    MultiTargetSampler,
    SampleResult,
    called_in_order,
    checked_cells,
    scored_sample,
    target_log_weight,
    weighed_against,
)
from cje_fp.scoring._sample import Sample
from tests.conftest import error_of
from tests.helpers.tabular import FAULTS, SAMPLES, TABLES, fault_specs, tabular as _tabular


def _policies(plan: FaultPlan) -> list[Policy]:
    return [
        retrying(
            inject_faults(validated(FunctionPolicy(name=name, call=_tabular(name).compute_log_prob)), plan),
            max_attempts=3,
            wait=wait_fixed(0.0),
            sleep=lambda seconds: None,
        )
        for name in TABLES
    ]


def _by_hand(policies: list[Policy], sample: Sample) -> SampleResult:
    return flow(sample, called_in_order(policies), checked_cells, scored_sample(sample), weighed_against("base"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fault_specs, st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from([1, 3]))
def test_a_users_flow_of_the_steps_equals_the_sampler(
    specs: list[tuple[str, float, int | None]], seed: int, workers: int
) -> None:
    def plan() -> FaultPlan:
        return FaultPlan(faults=tuple(Fault(outcome=FAULTS[k], rate=r, times=t) for k, r, t in specs), seed=seed)

    sampled = MultiTargetSampler(policies=_policies(plan()), base_policy_name="base", max_concurrency=workers)
    batch = sampled.process_batch(SAMPLES)
    by_hand_policies = _policies(plan())
    for sample, result in zip(SAMPLES, batch.results, strict=True):
        mine = _by_hand(by_hand_policies, sample)
        assert mine.log_probs == result.log_probs
        assert mine.log_weights == result.log_weights
        assert mine.retries == result.retries
        for target in ("t1", "t2", "t3"):
            assert target_log_weight(target)(mine) == result.log_weights[target]


class _Bare(Result[float, object]):
    """What ``LogProbResult(-1.0)`` builds: a Result that is neither Success nor Failure."""

    def __init__(self) -> None:
        super().__init__(-1.0)


def test_a_bare_result_is_a_policy_crashed_cell_and_the_batch_completes() -> None:
    def bare(context: str, response: str) -> LogProbResult:
        if context == "prompt 1":
            return _Bare()  # type: ignore[return-value]  # the defect a user can write
        return _tabular("t1").compute_log_prob(context, response)

    for workers in (1, 4):
        sampler = MultiTargetSampler(
            policies=[_tabular("base"), FunctionPolicy(name="t1", call=bare)], base_policy_name="base", max_concurrency=workers
        )
        batch = sampler.process_batch(SAMPLES)
        assert len(batch.results) == len(SAMPLES)
        broken = [result for result in batch.results if result.sample_id in {"s1", "s7"}]
        for result in broken:
            error = error_of(result.log_probs["t1"])
            assert isinstance(error, PolicyCrashed) and error.exception_type == "_Bare"
            assert isinstance(result.log_weights["t1"], Failure)
        assert all(isinstance(r.log_weights["t1"], Success) for r in batch.results if r not in broken)
        assert batch.accounting().balanced
