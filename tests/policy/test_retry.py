from __future__ import annotations

import asyncio
from collections.abc import Sequence

import attrs
import pytest
from hypothesis import given, strategies as st
from returns.result import Failure, Success
from tenacity import wait_fixed

from cje_fp.errors._log_prob import (
    BadRequest,
    ConnectionFailed,
    PolicyCrashed,
    RateLimited,
    RetriesExhausted,
    ServerError,
    Timeout,
)
from cje_fp.policy._protocol import AsyncFunctionPolicy, BatchAsyncPolicy, FunctionPolicy, LogProbResult
from cje_fp.policy._retry import retrying
from cje_fp.policy._retry_counts import count_chunk_retries, counting_retries


@attrs.define
class FakeTime:
    """A clock that only moves when something sleeps."""

    now: float = 0.0
    sleeps: list[float] = attrs.field(factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


@attrs.define
class Scripted:
    """A policy that returns the scripted outcomes in order, then the last forever."""

    outcomes: Sequence[LogProbResult]
    calls: int = 0

    def call(self, context: str, response: str) -> LogProbResult:
        self.calls += 1
        return self.outcomes[min(self.calls, len(self.outcomes)) - 1]

    async def call_async(self, context: str, response: str) -> LogProbResult:
        return self.call(context, response)


def _retrying(script: Scripted, fake: FakeTime, **options: float) -> FunctionPolicy:
    policy = retrying(
        FunctionPolicy(name="p", call=script.call),
        max_attempts=int(options.get("max_attempts", 4)),
        deadline=options.get("deadline", 1000.0),
        wait=wait_fixed(options.get("wait", 1.0)),
        max_retry_after=options.get("max_retry_after", 60.0),
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert isinstance(policy, FunctionPolicy)
    return policy


def test_transient_failure_then_success() -> None:
    script, fake = Scripted([Failure(Timeout()), Failure(ServerError(status=503)), Success(-1.0)]), FakeTime()
    with counting_retries() as retries:
        result = _retrying(script, fake).compute_log_prob("q", "a")
    assert result == Success(-1.0)
    assert script.calls == 3
    assert retries == [2]
    assert fake.sleeps == [1.0, 1.0]


def test_permanent_failure_is_called_once() -> None:
    script, fake = Scripted([Failure(BadRequest())]), FakeTime()
    assert _retrying(script, fake).compute_log_prob("q", "a") == Failure(BadRequest())
    assert script.calls == 1 and fake.sleeps == []


def test_exhaustion_is_a_failure_with_the_last_error() -> None:
    script, fake = Scripted([Failure(Timeout()), Failure(ConnectionFailed(reason="reset"))]), FakeTime()
    result = _retrying(script, fake, max_attempts=3).compute_log_prob("q", "a")
    assert result == Failure(RetriesExhausted(attempts=3, last=ConnectionFailed(reason="reset")))
    assert script.calls == 3


def test_deadline_bounds_total_time() -> None:
    script, fake = Scripted([Failure(Timeout())]), FakeTime()
    result = _retrying(script, fake, max_attempts=100, deadline=25.0, wait=10.0).compute_log_prob("q", "a")
    # attempts at t=0, 10, 20; the next would start at 30 > 25
    assert result == Failure(RetriesExhausted(attempts=3, last=Timeout()))
    assert fake.now == 20.0


def test_retry_after_is_honoured_and_capped() -> None:
    script = Scripted([Failure(RateLimited(retry_after=7.0)), Failure(RateLimited(retry_after=500.0)), Success(-2.0)])
    fake = FakeTime()
    assert _retrying(script, fake, max_retry_after=30.0).compute_log_prob("q", "a") == Success(-2.0)
    assert fake.sleeps == [7.0, 30.0]


def test_retry_after_past_the_deadline_gives_up_without_sleeping() -> None:
    script, fake = Scripted([Failure(RateLimited(retry_after=50.0))]), FakeTime()
    result = _retrying(script, fake, deadline=20.0).compute_log_prob("q", "a")
    assert result == Failure(RetriesExhausted(attempts=1, last=RateLimited(retry_after=50.0)))
    assert fake.sleeps == []


def test_rate_limit_without_retry_after_uses_the_fallback_wait() -> None:
    script, fake = Scripted([Failure(RateLimited()), Success(-1.0)]), FakeTime()
    assert _retrying(script, fake, wait=3.0).compute_log_prob("q", "a") == Success(-1.0)
    assert fake.sleeps == [3.0]


def test_exceptions_are_not_retried_or_swallowed() -> None:
    calls = []

    def crashing(context: str, response: str) -> LogProbResult:
        calls.append(1)
        raise RuntimeError("boom")

    policy = retrying(FunctionPolicy(name="p", call=crashing), max_attempts=5, sleep=FakeTime().sleep)
    with pytest.raises(RuntimeError, match="boom"):
        policy.compute_log_prob("q", "a")
    assert calls == [1]


def test_async_twin_retries_with_the_async_sleep() -> None:
    script, fake = Scripted([Failure(Timeout()), Success(-4.0)]), FakeTime()
    policy = retrying(
        AsyncFunctionPolicy(name="p", call_async=script.call_async),
        max_attempts=3,
        wait=wait_fixed(2.0),
        async_sleep=fake.async_sleep,
        clock=fake.clock,
    )

    async def run() -> tuple[LogProbResult, list[int]]:
        with counting_retries() as retries:
            return await policy.compute_log_prob_async("q", "a"), retries

    result, retries = asyncio.run(run())
    assert result == Success(-4.0) and retries == [1] and fake.sleeps == [2.0]


def test_concurrent_async_calls_keep_separate_state() -> None:
    fake = FakeTime()
    scripts = [Scripted([Failure(Timeout())] * k + [Success(-float(k))]) for k in range(4)]

    async def run() -> list[LogProbResult]:
        policies = [
            retrying(
                AsyncFunctionPolicy(name=f"p{k}", call_async=script.call_async),
                max_attempts=10,
                wait=wait_fixed(0.0),
                async_sleep=fake.async_sleep,
                clock=fake.clock,
            )
            for k, script in enumerate(scripts)
        ]
        return list(await asyncio.gather(*(p.compute_log_prob_async("q", "a") for p in policies)))

    assert asyncio.run(run()) == [Success(-float(k)) for k in range(4)]
    assert [script.calls for script in scripts] == [1, 2, 3, 4]


@given(st.lists(st.floats(max_value=0.0, allow_nan=False, allow_infinity=False), min_size=1, max_size=5))
def test_retrying_is_the_identity_on_policies_that_never_fail(values: list[float]) -> None:
    fake = FakeTime()
    table = {f"r{index}": value for index, value in enumerate(values)}

    def exact(context: str, response: str) -> LogProbResult:
        return Success(table[response])

    policy = retrying(FunctionPolicy(name="p", call=exact), sleep=fake.sleep, clock=fake.clock)
    assert [policy.compute_log_prob("q", response) for response in table] == [
        exact("q", response) for response in table
    ]
    assert fake.sleeps == []


@given(
    st.lists(st.sampled_from(["timeout", "server", "ok"]), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=6),
)
def test_transient_failures_are_retried_up_to_the_bound(pattern: list[str], max_attempts: int) -> None:
    outcomes: list[LogProbResult] = [
        Success(-1.0) if step == "ok" else Failure(Timeout() if step == "timeout" else ServerError(status=500))
        for step in pattern
    ]
    script, fake = Scripted(outcomes), FakeTime()
    result = _retrying(script, fake, max_attempts=max_attempts).compute_log_prob("q", "a")
    first_success = next((index for index, step in enumerate(pattern) if step == "ok"), None)
    if first_success is not None and first_success < max_attempts:
        assert result == Success(-1.0)
        assert script.calls == first_success + 1
    else:
        assert script.calls == max_attempts
        match result:
            case Failure(RetriesExhausted(attempts=attempts, last=last)):
                assert attempts == max_attempts
                assert isinstance(last, Timeout | ServerError)
            case _:
                raise AssertionError(f"expected exhaustion, got {result}")


def test_an_injected_sleep_also_serves_the_async_twin() -> None:
    script, fake = Scripted([Failure(Timeout()), Success(-1.0)]), FakeTime()
    policy = retrying(
        AsyncFunctionPolicy(name="p", call_async=script.call_async),
        wait=wait_fixed(5.0),
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert asyncio.run(policy.compute_log_prob_async("q", "a")) == Success(-1.0)
    assert fake.sleeps == [5.0]


# --- many cells per call -------------------------------------------------------------------


_STEPS: dict[str, LogProbResult] = {
    "ok": Success(-1.0),
    "timeout": Failure(Timeout()),
    "server": Failure(ServerError(status=503)),
    "bad": Failure(BadRequest()),
}


@attrs.define
class ScriptedCells:
    """Each cell (by response) answers its own script in order, then its last step forever;
    offers the per-cell and the many-cell call, and records the size of every call."""

    scripts: dict[str, list[str]]
    crash_on_retry: frozenset[str] = frozenset()
    calls: dict[str, int] = attrs.Factory(dict)
    call_sizes: list[int] = attrs.Factory(list)

    def _one(self, response: str) -> LogProbResult:
        count = self.calls[response] = self.calls.get(response, 0) + 1
        if count > 1 and response in self.crash_on_retry:
            raise RuntimeError("backend bug")
        script = self.scripts[response]
        return _STEPS[script[min(count, len(script)) - 1]]

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        self.call_sizes.append(1)
        return self._one(response)

    async def compute_log_probs_async(self, pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        self.call_sizes.append(len(pairs))
        await asyncio.sleep(0)
        return [self._one(response) for _, response in pairs]

    @property
    def name(self) -> str:
        return "p"


def _retrying_cells(policy: ScriptedCells, max_attempts: int) -> BatchAsyncPolicy:
    wrapped = retrying(
        policy, max_attempts=max_attempts, deadline=1e6, wait=wait_fixed(1.0), sleep=FakeTime().sleep
    )
    assert isinstance(wrapped, BatchAsyncPolicy)
    return wrapped


async def _per_cell(policy: ScriptedCells, max_attempts: int) -> list[tuple[LogProbResult, int]]:
    wrapped = retrying(policy, max_attempts=max_attempts, deadline=1e6, wait=wait_fixed(1.0), sleep=FakeTime().sleep)
    outcomes = []
    for response in policy.scripts:
        with counting_retries() as retries:
            result = await wrapped.compute_log_prob_async("q", response)
        outcomes.append((result, retries[0]))
    return outcomes


async def _chunked(policy: ScriptedCells, max_attempts: int) -> list[tuple[LogProbResult, int]]:
    async def in_own_task() -> list[tuple[LogProbResult, int]]:
        retries = count_chunk_retries(len(policy.scripts))
        results = await _retrying_cells(policy, max_attempts).compute_log_probs_async(
            [("q", response) for response in policy.scripts]
        )
        return list(zip(results, retries, strict=True))

    return await asyncio.create_task(in_own_task())


@given(
    st.lists(st.lists(st.sampled_from(sorted(_STEPS)), min_size=1, max_size=6), min_size=1, max_size=8),
    st.integers(min_value=1, max_value=5),
)
def test_a_chunk_gives_each_cell_what_calling_it_alone_gives_with_its_own_retries(
    scripts: list[list[str]], max_attempts: int
) -> None:
    def cells() -> ScriptedCells:
        return ScriptedCells(scripts={f"r{index}": script for index, script in enumerate(scripts)})

    alone, chunked = cells(), cells()
    assert asyncio.run(_chunked(chunked, max_attempts)) == asyncio.run(_per_cell(alone, max_attempts))
    assert chunked.calls == alone.calls  # the same attempts, cell by cell
    # the first attempt is one call on every cell; only retries go one cell at a time
    assert chunked.call_sizes[0] == len(scripts) and set(chunked.call_sizes[1:]) <= {1}


def test_a_chunk_without_transient_failures_is_one_call_and_no_retry() -> None:
    policy = ScriptedCells(scripts={"a": ["ok"], "b": ["bad"], "c": ["ok"]})
    outcomes = asyncio.run(_chunked(policy, 4))
    assert policy.call_sizes == [3]
    assert [retries for _, retries in outcomes] == [0, 0, 0]
    assert outcomes[1][0] == Failure(BadRequest())


def test_a_crash_while_retrying_one_cell_fails_that_cell_only() -> None:
    policy = ScriptedCells(
        scripts={"a": ["timeout", "ok"], "b": ["timeout", "ok"], "c": ["ok"]}, crash_on_retry=frozenset({"a"})
    )
    outcomes = asyncio.run(_chunked(policy, 4))
    match outcomes[0][0]:
        case Failure(PolicyCrashed() as error):
            assert "backend bug" in error.describe()
        case other:
            raise AssertionError(f"expected a crash, got {other}")
    assert [outcome for outcome, _ in outcomes[1:]] == [Success(-1.0), Success(-1.0)]
    assert outcomes[0][1] == 1 and outcomes[1][1] == 1  # the crashed cell's retry is still counted


def test_a_chunk_outside_an_interpreter_counts_its_retries_in_the_callers_counter() -> None:
    policy = ScriptedCells(scripts={"a": ["timeout", "timeout", "ok"], "b": ["server", "ok"]})

    async def call() -> tuple[list[LogProbResult], list[int]]:
        with counting_retries() as retries:
            results = await _retrying_cells(policy, 4).compute_log_probs_async([("q", "a"), ("q", "b")])
        return results, retries

    results, retries = asyncio.run(call())
    assert results == [Success(-1.0), Success(-1.0)] and retries == [3]


def test_a_chunk_gives_up_at_the_deadline_as_each_cell_would() -> None:
    policy = ScriptedCells(scripts={"a": ["timeout"], "b": ["ok"], "c": ["server"]})
    wrapped = retrying(policy, max_attempts=5, deadline=5.0, wait=wait_fixed(10.0), sleep=FakeTime().sleep)
    assert isinstance(wrapped, BatchAsyncPolicy)
    results = asyncio.run(wrapped.compute_log_probs_async([("q", "a"), ("q", "b"), ("q", "c")]))
    # the first wait would end past the deadline: one attempt each, exhausted
    assert results == [
        Failure(RetriesExhausted(attempts=1, last=Timeout())),
        Success(-1.0),
        Failure(RetriesExhausted(attempts=1, last=ServerError(status=503))),
    ]
    assert policy.call_sizes == [3]
