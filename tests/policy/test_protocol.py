from __future__ import annotations

import asyncio

from returns.result import Success

from cje_fp.policy._protocol import (
    AsyncCall,
    AsyncFunctionPolicy,
    AsyncPolicy,
    CallTransform,
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
