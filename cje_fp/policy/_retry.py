"""``retrying``: retry transient failures, bounded by attempts and by time.

Built on tenacity's ``retry_if_result``: a ``Failure`` whose error is
``transient`` drives a retry; anything else is returned at once. When the
attempts or the deadline run out the answer is
``Failure(RetriesExhausted(attempts=n, last=error))``, never an exception.
Sleep and clock are injectable so tests take no real time.

>>> from returns.result import Failure, Success
>>> from cje_fp.errors._log_prob import Timeout
>>> from cje_fp.policy._protocol import FunctionPolicy
>>> outcomes = [Failure(Timeout()), Success(-2.0)]
>>> def flaky(context: str, response: str) -> LogProbResult:
...     return outcomes.pop(0)
>>> policy = retrying(
...     FunctionPolicy(name="flaky", call=flaky),
...     max_attempts=3, deadline=10.0, sleep=lambda seconds: None,
... )
>>> policy.compute_log_prob("q", "a")
<Success: -2.0>
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, Generic, TypeVar

import attrs
from returns.result import Failure, Success
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_result,
    wait_exponential_jitter,
)

from cje_fp.errors import LogProbError, RateLimited, RetriesExhausted, crashed, sealed
from cje_fp.policy._protocol import (
    AnyPolicyT,
    AsyncCall,
    BatchCall,
    CallTransform,
    LogProbResult,
    SyncCall,
    transform_policy,
)
from cje_fp.policy._retry_counts import counting_retries, forget_chunk, record_cell_retries, record_retry

_CallType = TypeVar("_CallType", SyncCall, AsyncCall)

WaitStrategy = Callable[[RetryCallState], float]
"""Seconds to wait before the next attempt, given tenacity's call state."""

logger: Final = logging.getLogger(__name__)

#: Longest a server's Retry-After is honoured for, by default (seconds).
DEFAULT_MAX_RETRY_AFTER: Final = 60.0

def _logging_retry(name: str) -> Callable[[RetryCallState], None]:
    """tenacity's ``before_sleep``: count the retry and log it (INFO) with the policy's name."""

    def before_sleep(state: RetryCallState) -> None:
        record_retry()
        if logger.isEnabledFor(logging.INFO):
            last = _last_error(state)
            logger.info(
                "policy %s: attempt %d failed (%s); retrying in %.2f s",
                name,
                state.attempt_number,
                last.kind if last is not None else "unknown",
                state.upcoming_sleep,
            )

    return before_sleep


def _is_transient_failure(outcome: LogProbResult) -> bool:
    match sealed(outcome):
        case Failure(error):
            return error.transient
        case _:
            return False


def _last_error(state: RetryCallState) -> LogProbError | None:
    if state.outcome is None or state.outcome.failed:
        return None
    outcome: LogProbResult = state.outcome.result()
    match sealed(outcome):
        case Failure(error):
            return error
        case _:
            return None


def _exhausted(state: RetryCallState) -> LogProbResult:
    last = _last_error(state)
    assert last is not None, "tenacity gives up only after a transient Failure"
    return Failure(RetriesExhausted(attempts=state.attempt_number, last=last))


def _giving_up(name: str) -> Callable[[RetryCallState], LogProbResult]:
    """tenacity's ``retry_error_callback``: ``RetriesExhausted``, logged (INFO) with the policy's name."""

    def exhausted(state: RetryCallState) -> LogProbResult:
        result = _exhausted(state)
        logger.info("policy %s: giving up after %d attempts (%s)", name, state.attempt_number, _kind_of(result))
        return result

    return exhausted


def _kind_of(result: LogProbResult) -> str:
    match sealed(result):
        case Failure(error):
            return error.describe()
        case _:
            return "ok"


@attrs.frozen(kw_only=True)
class HonourRetryAfter:
    """Wait what a ``RateLimited`` error asks (capped), else fall back.

    >>> from tenacity import wait_fixed
    >>> HonourRetryAfter(fallback=wait_fixed(1.0), cap=5.0).seconds(
    ...     RateLimited(retry_after=30.0), 0.0)
    5.0
    """

    fallback: WaitStrategy
    cap: float = DEFAULT_MAX_RETRY_AFTER

    def seconds(self, error: LogProbError | None, fallback: float) -> float:
        """The wait for ``error``, given the fallback's answer."""
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return max(0.0, min(error.retry_after, self.cap))
        return fallback

    def __call__(self, state: RetryCallState) -> float:
        return self.seconds(_last_error(state), self.fallback(state))


@attrs.frozen(kw_only=True)
class _Stop:
    """Stop after ``max_attempts``, or when the next attempt would start after
    ``deadline`` seconds from ``started``."""

    max_attempts: int
    deadline: float
    clock: Callable[[], float]
    started: float

    def __call__(self, state: RetryCallState) -> bool:
        elapsed = self.clock() - self.started
        return (
            state.attempt_number >= self.max_attempts
            or elapsed + state.upcoming_sleep >= self.deadline
        )


_RETRY_TRANSIENT: Final = retry_if_result(_is_transient_failure)


@attrs.frozen(kw_only=True)
class _RetryConfig:
    max_attempts: int = attrs.field(validator=attrs.validators.ge(1))
    deadline: float = attrs.field(validator=attrs.validators.gt(0.0))
    wait: WaitStrategy
    sleep: Callable[[float], None]
    async_sleep: Callable[[float], Awaitable[None]]
    clock: Callable[[], float]

    def stop(self, started: float) -> _Stop:
        return _Stop(
            max_attempts=self.max_attempts,
            deadline=self.deadline,
            clock=self.clock,
            started=started,
        )

    def async_retryer(self, name: str, started: float) -> AsyncRetrying:
        """tenacity's awaitable retry loop for one cell whose first attempt started at ``started``."""
        return AsyncRetrying(
            stop=self.stop(started),
            wait=self.wait,
            retry=_RETRY_TRANSIENT,
            before_sleep=_logging_retry(name),
            retry_error_callback=_giving_up(name),
            sleep=self.async_sleep,
        )

    def wrap_sync(self, name: str, call: SyncCall) -> SyncCall:
        def retried_call(context: str, response: str) -> LogProbResult:
            started = self.clock()
            first = call(context, response)
            if not _is_transient_failure(first):
                return first  # the common case needs no retry machinery
            retryer = Retrying(
                stop=self.stop(started),
                wait=self.wait,
                retry=_RETRY_TRANSIENT,
                before_sleep=_logging_retry(name),
                retry_error_callback=_giving_up(name),
                sleep=self.sleep,
            )
            result: LogProbResult = retryer(_ReplayFirst(first=first, call=call), context, response)
            return result

        return retried_call

    def wrap_async(self, name: str, call: AsyncCall) -> AsyncCall:
        async def retried_call(context: str, response: str) -> LogProbResult:
            started = self.clock()
            first = await call(context, response)
            if not _is_transient_failure(first):
                return first  # the common case needs no retry machinery
            replay = _ReplayFirst(first=first, call=call)
            result: LogProbResult = await self.async_retryer(name, started)(replay.awaitable, context, response)
            return result

        return retried_call

    def wrap_batch(self, name: str, call: BatchCall) -> BatchCall:
        """Many cells: the first attempt as one call, then each transient cell retried on its own
        (a call on one pair), concurrently, with the first attempt counted as attempt 1."""

        async def one(context: str, response: str) -> LogProbResult:
            results = await call(((context, response),))
            if len(results) != 1:
                raise RuntimeError(f"{len(results)} results for 1 cell")
            return results[0]

        async def retried_cell(first: LogProbResult, context: str, response: str, started: float) -> tuple[LogProbResult, int]:
            # A task of its own (``gather``): its counters are its own.
            forget_chunk()
            with counting_retries() as retries:
                replay = _ReplayFirst(first=first, call=one)
                try:
                    result: LogProbResult = await self.async_retryer(name, started)(replay.awaitable, context, response)
                except Exception as error:  # one cell's crash is that cell's, its retries counted
                    result = Failure(crashed(error))
            return result, retries[0]

        async def retried_calls(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
            started = self.clock()
            results = await call(pairs)
            if len(results) != len(pairs):
                raise RuntimeError(f"{len(results)} results for {len(pairs)} cells")
            transient = [
                index
                for index, result in enumerate(results)
                if not isinstance(result, Success) and _is_transient_failure(result)  # a success at a glance
            ]
            if not transient:
                return results  # the common case needs no retry machinery
            retried = await asyncio.gather(*(retried_cell(results[index], *pairs[index], started) for index in transient))
            results = list(results)
            for index, (result, retries) in zip(transient, retried, strict=True):
                results[index] = result
                record_cell_retries(len(pairs), index, retries)
            return results

        return retried_calls


@attrs.define(kw_only=True)
class _ReplayFirst(Generic[_CallType]):
    """Hands tenacity the first attempt's outcome, then makes real calls.

    The first attempt runs before tenacity is involved, so a call that needs
    no retry costs no retry machinery; tenacity still counts it as attempt 1.
    """

    first: LogProbResult | None
    call: _CallType

    def __call__(self: _ReplayFirst[SyncCall], context: str, response: str) -> LogProbResult:
        first, self.first = self.first, None
        return first if first is not None else self.call(context, response)

    async def awaitable(self: _ReplayFirst[AsyncCall], context: str, response: str) -> LogProbResult:
        first, self.first = self.first, None
        return first if first is not None else await self.call(context, response)


def _awaitable(sleep: Callable[[float], None]) -> Callable[[float], Awaitable[None]]:
    async def async_sleep(seconds: float) -> None:
        sleep(seconds)

    return async_sleep


def retrying(
    policy: AnyPolicyT,
    *,
    max_attempts: int = 5,
    deadline: float = 120.0,
    wait: WaitStrategy | None = None,
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
    sleep: Callable[[float], None] = time.sleep,
    async_sleep: Callable[[float], Awaitable[None]] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> AnyPolicyT:
    """Retry transient failures of ``policy``.

    At most ``max_attempts`` calls, and no attempt starts after ``deadline``
    seconds (the wait before it included). ``wait`` defaults to exponential
    backoff with jitter; a ``RateLimited.retry_after`` overrides it, capped at
    ``max_retry_after``. Permanent failures and successes pass through after
    one call. ``async_sleep`` defaults to ``asyncio.sleep``, or, when only
    ``sleep`` is injected (a fake clock in a test), to an awaitable ``sleep``.
    """
    config = _RetryConfig(
        max_attempts=max_attempts,
        deadline=deadline,
        wait=HonourRetryAfter(
            fallback=wait or wait_exponential_jitter(multiplier=0.5, max=30.0),
            cap=max_retry_after,
        ),
        sleep=sleep,
        async_sleep=async_sleep or (asyncio.sleep if sleep is time.sleep else _awaitable(sleep)),
        clock=clock,
    )
    return transform_policy(
        policy, CallTransform(sync=config.wrap_sync, async_=config.wrap_async, batch=config.wrap_batch)
    )
