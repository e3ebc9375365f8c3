from __future__ import annotations

import asyncio
from collections.abc import Sequence

from returns.result import Failure, Success

from cje_fp.errors._log_prob import Timeout
from cje_fp.policy._cache import SuccessCache, cached
from cje_fp.policy._protocol import (
    AsyncFunctionPolicy,
    BatchAsyncPolicy,
    BatchFunctionPolicy,
    FunctionPolicy,
    LogProbResult,
)
from cje_fp.policy._retry import retrying
from cje_fp.policy._retry_counts import count_chunk_retries


class Counting:
    def __init__(self, fail_first: int = 0) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail_first = fail_first

    def call(self, context: str, response: str) -> LogProbResult:
        self.calls.append((context, response))
        if len(self.calls) <= self.fail_first:
            return Failure(Timeout())
        return Success(-float(len(response)))

    async def call_async(self, context: str, response: str) -> LogProbResult:
        return self.call(context, response)


def test_successes_are_served_from_the_cache() -> None:
    inner = Counting()
    policy = cached(FunctionPolicy(name="p", call=inner.call))
    assert [policy.compute_log_prob("q", r) for r in ["ab", "ab", "abc", "ab"]] == [
        Success(-2.0),
        Success(-2.0),
        Success(-3.0),
        Success(-2.0),
    ]
    assert inner.calls == [("q", "ab"), ("q", "abc")]


def test_failures_are_not_cached() -> None:
    inner = Counting(fail_first=1)
    policy = cached(FunctionPolicy(name="p", call=inner.call))
    assert policy.compute_log_prob("q", "ab") == Failure(Timeout())
    assert policy.compute_log_prob("q", "ab") == Success(-2.0)
    assert len(inner.calls) == 2


def test_the_key_includes_the_policy_name() -> None:
    shared = SuccessCache()
    first = cached(FunctionPolicy(name="a", call=lambda c, r: Success(-1.0)), cache=shared)
    second = cached(FunctionPolicy(name="b", call=lambda c, r: Success(-2.0)), cache=shared)
    assert first.compute_log_prob("q", "x") == Success(-1.0)
    assert second.compute_log_prob("q", "x") == Success(-2.0)
    assert len(shared) == 2


def test_bounded_cache_evicts_the_least_recently_used() -> None:
    inner = Counting()
    cache = SuccessCache(max_entries=2)
    policy = cached(FunctionPolicy(name="p", call=inner.call), cache=cache)
    for response in ["a", "bb", "a", "ccc", "a", "bb"]:
        policy.compute_log_prob("q", response)
    # "bb" was evicted by "ccc" (since "a" was used more recently), so it is called again
    assert [r for _, r in inner.calls] == ["a", "bb", "ccc", "bb"]
    assert len(cache) == 2


def test_async_calls_share_the_cache() -> None:
    inner = Counting()
    policy = cached(AsyncFunctionPolicy(name="p", call_async=inner.call_async))

    async def run() -> list[LogProbResult]:
        return [await policy.compute_log_prob_async("q", "ab") for _ in range(3)]

    assert asyncio.run(run()) == [Success(-2.0)] * 3
    assert len(inner.calls) == 1


def test_a_chunk_asks_only_for_what_is_not_cached_and_counts_retries_on_their_own_cells() -> None:
    sent: list[list[str]] = []
    failing = {"b": 2}  # b times out twice first

    async def call_batch(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        sent.append([response for _, response in pairs])
        results: list[LogProbResult] = []
        for _, response in pairs:
            if failing.get(response, 0):
                failing[response] -= 1
                results.append(Failure(Timeout()))
            else:
                results.append(Success(-float(len(response))))
        return results

    async def call_async(context: str, response: str) -> LogProbResult:
        return (await call_batch([(context, response)]))[0]

    policy = cached(retrying(BatchFunctionPolicy(name="p", call_async=call_async, call_batch=call_batch), sleep=lambda _: None))
    assert isinstance(policy, BatchAsyncPolicy)

    async def chunk(responses: list[str]) -> tuple[list[LogProbResult], list[int]]:
        retries = count_chunk_retries(len(responses))
        return await policy.compute_log_probs_async([("q", response) for response in responses]), retries

    first = asyncio.run(chunk(["a", "bb"]))
    failing["bbb"] = 2
    second = asyncio.run(chunk(["a", "bbb", "bb"]))
    assert first == ([Success(-1.0), Success(-2.0)], [0, 0])
    assert second == ([Success(-1.0), Success(-3.0), Success(-2.0)], [0, 2, 0])
    assert sent == [["a", "bb"], ["bbb"], ["bbb"], ["bbb"]]  # hits never sent; retries one cell at a time
