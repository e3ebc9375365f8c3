from __future__ import annotations

import asyncio
from collections.abc import Sequence

from returns.result import Success

from cje_fp.policy._protocol import (
    AsyncCall,
    AsyncFunctionPolicy,
    AsyncPolicy,
    BatchAsyncPolicy,
    BatchCall,
    BatchFunctionPolicy,
    CallTransform,
    DualBatchFunctionPolicy,
    DualFunctionPolicy,
    DualPolicy,
    FunctionPolicy,
    LogProbResult,
    Policy,
    SyncCall,
    transform_policy,
)


def _sync(context: str, response: str) -> LogProbResult:
    return Success(-float(len(response)))


async def _async(context: str, response: str) -> LogProbResult:
    return Success(-2.0 * len(response))


def _shift(amount: float) -> CallTransform:
    def minus(value: float) -> float:
        return value - amount

    def shift_sync(name: str, call: SyncCall) -> SyncCall:
        def shifted(context: str, response: str) -> LogProbResult:
            return call(context, response).map(minus)

        return shifted

    def shift_async(name: str, call: AsyncCall) -> AsyncCall:
        async def shifted(context: str, response: str) -> LogProbResult:
            return (await call(context, response)).map(minus)

        return shifted

    return CallTransform(sync=shift_sync, async_=shift_async)


def test_transform_keeps_the_calling_conventions_and_name() -> None:
    sync = transform_policy(FunctionPolicy(name="s", call=_sync), _shift(1.0))
    asynchronous = transform_policy(AsyncFunctionPolicy(name="a", call_async=_async), _shift(1.0))
    dual = transform_policy(DualFunctionPolicy(name="d", call=_sync, call_async=_async), _shift(1.0))

    assert not isinstance(sync, AsyncPolicy)
    assert not isinstance(asynchronous, Policy)
    assert isinstance(dual, DualPolicy)
    assert (sync.name, asynchronous.name, dual.name) == ("s", "a", "d")

    assert sync.compute_log_prob("q", "ab") == Success(-3.0)
    assert asyncio.run(asynchronous.compute_log_prob_async("q", "ab")) == Success(-5.0)
    assert dual.compute_log_prob("q", "ab") == Success(-3.0)
    assert asyncio.run(dual.compute_log_prob_async("q", "ab")) == Success(-5.0)


async def _batch(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
    return [Success(-3.0 * len(response)) for _, response in pairs]


def _shift_batch(amount: float) -> CallTransform:
    def shift_batch(name: str, call: BatchCall) -> BatchCall:
        async def shifted(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
            return [result.map(lambda value: value - amount) for result in await call(pairs)]

        return shifted

    plain = _shift(amount)
    return CallTransform(sync=plain.sync, async_=plain.async_, batch=shift_batch)


def test_the_call_on_many_cells_is_kept_only_by_a_transform_that_changes_it() -> None:
    asynchronous = BatchFunctionPolicy(name="a", call_async=_async, call_batch=_batch)
    dual = DualBatchFunctionPolicy(name="d", call=_sync, call_async=_async, call_batch=_batch)
    kept = [transform_policy(policy, _shift_batch(1.0)) for policy in (asynchronous, dual)]
    dropped = [transform_policy(policy, _shift(1.0)) for policy in (asynchronous, dual)]

    assert all(isinstance(policy, BatchAsyncPolicy) for policy in kept)
    assert not any(isinstance(policy, BatchAsyncPolicy) for policy in dropped)
    assert [isinstance(policy, Policy) for policy in kept + dropped] == [False, True, False, True]
    for policy in kept:
        assert isinstance(policy, BatchAsyncPolicy)
        assert asyncio.run(policy.compute_log_probs_async([("q", "ab"), ("q", "a")])) == [Success(-7.0), Success(-4.0)]
        assert isinstance(policy, AsyncPolicy)
        assert asyncio.run(policy.compute_log_prob_async("q", "ab")) == Success(-5.0)
    # a blocking policy never gains a call on many cells
    assert not isinstance(transform_policy(FunctionPolicy(name="s", call=_sync), _shift_batch(1.0)), BatchAsyncPolicy)
