"""When a scoring run stops early: a backend that refuses us, or one that answers nothing useful.

A run stops (the CLI exits 3) when

- a cell's root failure says the backend refuses us whatever the row
  (``unauthorized``, ``model_not_found``), or that every server of a policy
  with several (``base_urls``) was taken out (``endpoints_down``);
- a policy fails ``STREAK`` cells in a row, in the order they complete, with
  failures about the backend rather than the row (connection, timeout, server
  error, rate limit after every retry, a 400, a malformed answer, a crash);
- or, at the end, a policy computed cells and every one of them failed
  unreachable or timing out (a run too small for a streak).

Failures that are properties of a row (invalid input, context too long, token
boundary, invalid log prob) never count. A batch rejected by a server that takes
one prompt per request never reaches a cell: the backend falls back to single
prompts on its own. Once a run stops, no new request is sent: ``stoppable`` wraps
each policy inside its retries, and a stopped run's calls return at once (those
cells are never written). ``suspects`` are the rows of every policy's last
failures in a row: a stopped run leaves them out of the output, so that the next
run computes them again instead of keeping a failure that was about the backend.

>>> from returns.result import Success, Failure
>>> from cje_fp.errors import ServerError
>>> watch = FatalWatch(("base", "t"))
>>> [watch.observe("t", f"r{i}", Failure(ServerError(status=500))) for i in range(STREAK - 1)][-1] is None
True
>>> watch.observe("t", "r9", Failure(ServerError(status=500))).describe()
'failed 10 cells in a row (server_error) and none succeeded since'
>>> len(watch.suspects())
10
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Final, final

import attrs
from returns.result import Failure

from cje_fp.errors import (
    ConnectionFailed,
    EndpointsDown,
    InvalidInput,
    InvalidLogProb,
    LogProbError,
    ModelNotFound,
    Timeout,
    TokenBoundaryError,
    TokenLimitExceeded,
    Unauthorized,
    crashed,
    root_cause,
    sealed,
)
from cje_fp.policy import (
    AnyPolicyT,
    AsyncCall,
    AsyncPolicy,
    BatchCall,
    CallTransform,
    LogProbResult,
    Policy,
    SyncCall,
    retrying,
    transform_policy,
)
from cje_fp.scoring._config import RetrySettings

#: Failures about the backend, in a row, that stop a run.
STREAK: Final = 10
#: Root causes that are properties of the row: they never stop a run.
ROW_CAUSES: Final = (InvalidInput, TokenLimitExceeded, TokenBoundaryError, InvalidLogProb)
#: Root causes that say the backend refuses us whatever the row, or is gone: one stops the run.
REFUSING_CAUSES: Final = (Unauthorized, ModelNotFound, EndpointsDown)


def _refusal(cause: LogProbError) -> str:
    """The refusal's kind, with the path a 404 answered (a base_url without /v1 shows there)."""
    if isinstance(cause, ModelNotFound) and cause.path:
        return f"{cause.kind}: POST {cause.path} answered 404"
    return cause.kind
#: Root causes that say nothing was reached.
UNREACHABLE_CAUSES: Final = (ConnectionFailed, Timeout)


@final
@attrs.frozen(kw_only=True)
class Stopped:
    """Why a run stopped: the policy, its root failure kind and what was seen."""

    policy: str
    cause: str
    seen: str

    def describe(self) -> str:
        """What was seen, as a clause (``failed 10 cells in a row (timeout) ...``)."""
        return self.seen


class _RunStopped(Exception):
    """What a stopped run's calls crash with (never written: the run is over)."""


@final
class RunStop:
    """Set once, from any thread, when a run must stop: wrapped policies then call nothing."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Stop the run."""
        self._event.set()

    def is_set(self) -> bool:
        """Whether the run was stopped."""
        return self._event.is_set()


def stoppable(policy: AnyPolicyT, stop: RunStop) -> AnyPolicyT:
    """``policy``, calling nothing once ``stop`` is set (its calls then fail at once, not
    transiently); it keeps every way ``policy`` can be called, many cells per call included."""
    stopped: LogProbResult = Failure(crashed(_RunStopped("the run was stopped")))

    def sync(name: str, call: SyncCall) -> SyncCall:
        def checked(context: str, response: str) -> LogProbResult:
            return stopped if stop.is_set() else call(context, response)

        return checked

    def awaiting(name: str, call: AsyncCall) -> AsyncCall:
        async def checked(context: str, response: str) -> LogProbResult:
            return stopped if stop.is_set() else await call(context, response)

        return checked

    def batch(name: str, call: BatchCall) -> BatchCall:
        async def checked(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
            return [stopped] * len(pairs) if stop.is_set() else await call(pairs)

        return checked

    return transform_policy(policy, CallTransform(sync=sync, async_=awaiting, batch=batch))


def guarded(policies: Iterable[Policy | AsyncPolicy], retry: RetrySettings, stop: RunStop) -> list[Policy | AsyncPolicy]:
    """The policies as ``score`` calls them: each in the configured retries around the stop switch,
    keeping every way it can be called (many cells per call included)."""
    wrap = functools.partial(
        retrying, max_attempts=retry.max_attempts, deadline=retry.deadline, max_retry_after=retry.max_retry_after
    )
    wrapped: list[Policy | AsyncPolicy] = []
    for policy in policies:
        # the branches only bind the combinators' constrained TypeVar for mypy
        if isinstance(policy, Policy):
            wrapped.append(wrap(stoppable(policy, stop)))
        else:
            wrapped.append(wrap(stoppable(policy, stop)))
    return wrapped


class FatalWatch:
    """Watches cells as they complete (callers serialise the calls) and says when a run must stop."""

    def __init__(self, policies: Iterable[str]) -> None:
        self._streaks: dict[str, list[tuple[str, str]]] = {name: [] for name in policies}
        self._computed: Counter[str] = Counter()
        self._unreachable: Counter[str] = Counter()
        self.stopped: Stopped | None = None

    def observe(self, policy: str, row_id: str, result: LogProbResult) -> Stopped | None:
        """Record one computed cell; the reason to stop when this cell shows one (first reason kept)."""
        self._computed[policy] += 1
        streak = self._streaks[policy]
        match sealed(result):
            case Failure(error):
                cause = root_cause(error)
                self._unreachable[policy] += isinstance(cause, UNREACHABLE_CAUSES)
                if not isinstance(cause, ROW_CAUSES):
                    streak.append((row_id, cause.kind))
                return self._stop(self._verdict(policy, cause, streak))
            case _:
                streak.clear()
                return None

    def _verdict(self, policy: str, cause: LogProbError, streak: list[tuple[str, str]]) -> Stopped | None:
        if isinstance(cause, EndpointsDown):
            seen = f"lost every server: all {cause.endpoints} were taken out after failing again and again ({cause.kind})"
            return Stopped(policy=policy, cause=cause.kind, seen=seen)
        if isinstance(cause, REFUSING_CAUSES):
            return Stopped(policy=policy, cause=cause.kind, seen=f"refuses us ({_refusal(cause)})")
        if len(streak) >= STREAK:
            kinds = ", ".join(sorted({kind for _, kind in streak}))
            seen = f"failed {len(streak)} cells in a row ({kinds}) and none succeeded since"
            return Stopped(policy=policy, cause=cause.kind, seen=seen)
        return None

    def _stop(self, verdict: Stopped | None) -> Stopped | None:
        if verdict is not None and self.stopped is None:
            self.stopped = verdict
        return verdict

    def at_end(self) -> Stopped | None:
        """After every cell: a policy whose every computed cell failed unreachable or timing out."""
        for policy, computed in self._computed.items():
            if computed and self._unreachable[policy] == computed:
                kinds = ", ".join(sorted({kind for _, kind in self._streaks[policy]}))
                seen = f"could not be reached: all {computed} cells failed ({kinds})"
                cause = self._streaks[policy][-1][1] if self._streaks[policy] else "connection_failed"
                return self._stop(Stopped(policy=policy, cause=cause, seen=seen))
        return self.stopped

    def suspects(self) -> frozenset[str]:
        """The rows of every policy's failures about the backend since its last success."""
        return frozenset(row_id for streak in self._streaks.values() for row_id, _ in streak)
