"""A policy that returns a bare ``Result`` (neither ``Success`` nor ``Failure``, what
``LogProbResult(-1.0)`` builds) gives a typed ``PolicyCrashed`` cell under both
interpreters, behind ``validated``/``retrying``, as a target or as the base: the batch
completes and the weights say which policy failed (test_steps covers the thread pool)."""

from __future__ import annotations

import asyncio

import pytest
from returns.result import Success

from cje_fp import is_failure, is_success, sealed
from cje_fp.backends import TabularPolicy
from cje_fp.errors import BaseFailed, PolicyCrashed, TargetFailed
from cje_fp.policy import AsyncFunctionPolicy, AsyncPolicy, FunctionPolicy, LogProbResult, Policy, retrying, validated
from cje_fp.scoring import BatchResult, MultiTargetSampler

SAMPLES = [(f"s{index}", f"prompt {index}", "answer") for index in range(4)]
TABLE = {context: {response: -1.0} for _, context, response in SAMPLES}


def _bare(context: str, response: str) -> LogProbResult:
    return LogProbResult(-0.5)  # type: ignore[unsafe-unwrap]  # what a careless backend builds


async def _bare_async(context: str, response: str) -> LogProbResult:
    return _bare(context, response)


def _run(policies: list[Policy | AsyncPolicy], base: str, use_async: bool) -> BatchResult:
    sampler = MultiTargetSampler(policies=policies, base_policy_name=base)
    if use_async:
        return asyncio.run(sampler.process_batch_async(SAMPLES))
    return sampler.process_batch(SAMPLES)


def _crash_of(result: LogProbResult) -> PolicyCrashed:
    match sealed(result):
        case Success(value):
            raise AssertionError(f"a bare Result became the value {value}")
        case failure:
            crash = failure.failure()
            assert isinstance(crash, PolicyCrashed), crash
            return crash


def test_the_bare_result_is_really_neither_case() -> None:
    bare = _bare("q", "a")
    assert not is_success(bare) and not is_failure(bare)


@pytest.mark.parametrize("use_async", [False, True])
@pytest.mark.parametrize("wrap", [lambda p: p, validated, lambda p: retrying(validated(p))])
def test_a_bare_target_result_is_a_crashed_cell(use_async: bool, wrap: object) -> None:
    assert callable(wrap)
    target: Policy | AsyncPolicy = (
        AsyncFunctionPolicy(name="bare", call_async=_bare_async) if use_async else FunctionPolicy(name="bare", call=_bare)
    )
    batch = _run([TabularPolicy(name="base", table=TABLE), wrap(target)], "base", use_async)
    assert len(batch.results) == len(SAMPLES)
    for sample in batch.results:
        crash = _crash_of(sample.log_probs["bare"])
        assert "neither Success nor Failure" in crash.message
        assert is_success(sample.log_probs["base"])
        weight = sealed(sample.log_weights["bare"])
        assert is_failure(weight) and weight.failure() == TargetFailed(error=crash)
    assert batch.n_failed == len(SAMPLES)


def test_a_bare_base_result_fails_every_weight_of_the_sample() -> None:
    batch = _run([FunctionPolicy(name="base", call=_bare), TabularPolicy(name="t", table=TABLE)], "base", False)
    for sample in batch.results:
        crash = _crash_of(sample.log_probs["base"])
        weight = sealed(sample.log_weights["t"])
        assert is_failure(weight) and weight.failure() == BaseFailed(error=crash)
