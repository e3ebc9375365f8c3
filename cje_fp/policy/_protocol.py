"""The ``Policy`` protocols and the plumbing combinators are built on.

A policy is a name plus a function from (context, response) to
``Result[float, LogProbError]``. ``Policy`` is the blocking form,
``AsyncPolicy`` the awaitable twin, ``DualPolicy`` a backend offering both.

>>> from returns.result import Success
>>> def constant(context: str, response: str) -> Result[float, LogProbError]:
...     return Success(-1.5)
>>> policy = FunctionPolicy(name="constant", call=constant)
>>> isinstance(policy, Policy), isinstance(policy, AsyncPolicy)
(True, False)
>>> policy.compute_log_prob("2+2=", "4")
<Success: -1.5>
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeAlias, TypeVar, final, overload, runtime_checkable

import attrs
from returns.result import Result

from cje_fp.errors import LogProbError

LogProbResult: TypeAlias = Result[float, LogProbError]
"""What every policy call returns."""

SyncCall: TypeAlias = Callable[[str, str], LogProbResult]
"""A blocking (context, response) -> log-prob call."""

AsyncCall: TypeAlias = Callable[[str, str], Awaitable[LogProbResult]]
"""An awaitable (context, response) -> log-prob call."""


@runtime_checkable
class Policy(Protocol):
    """A named, blocking source of teacher-forced log probabilities."""

    @property
    def name(self) -> str:
        """The policy's unique name."""

    def compute_log_prob(self, context: str, response: str) -> LogProbResult:
        """``log P(response | context)``, or why it could not be computed."""


@runtime_checkable
class AsyncPolicy(Protocol):
    """The awaitable twin of ``Policy``."""

    @property
    def name(self) -> str:
        """The policy's unique name."""

    async def compute_log_prob_async(
        self, context: str, response: str
    ) -> LogProbResult:
        """``log P(response | context)``, or why it could not be computed."""


BatchCall: TypeAlias = Callable[[Sequence[tuple[str, str]]], Awaitable[list[LogProbResult]]]
"""An awaitable call on many (context, response) pairs: one result per pair, in order."""


@runtime_checkable
class BatchAsyncPolicy(Protocol):
    """A policy that can also take many cells in one awaitable call.

    ``compute_log_probs_async(pairs)`` gives, for each pair, exactly what
    ``compute_log_prob_async`` would: one ``Result`` per cell, in order. An
    interpreter may hand such a policy chunks of cells instead of one task per
    cell; combinators that do not offer it leave the policy per cell.
    """

    @property
    def name(self) -> str:
        """The policy's unique name."""

    async def compute_log_probs_async(
        self, pairs: Sequence[tuple[str, str]]
    ) -> list[LogProbResult]:
        """One ``log P(response | context)`` (or why not) per pair, in order."""


@runtime_checkable
class DualPolicy(Policy, AsyncPolicy, Protocol):
    """A policy that can be called both ways (e.g. an HTTP backend)."""


AnyPolicyT = TypeVar("AnyPolicyT", DualPolicy, Policy, AsyncPolicy)
"""A policy of one of the three kinds; combinators return the kind they were given."""


@final
@attrs.frozen(kw_only=True)
class FunctionPolicy:
    """A ``Policy`` made of a name and a blocking call."""

    name: str
    call: SyncCall

    def compute_log_prob(self, context: str, response: str) -> LogProbResult:
        """Run the call."""
        return self.call(context, response)


@final
@attrs.frozen(kw_only=True)
class AsyncFunctionPolicy:
    """An ``AsyncPolicy`` made of a name and an awaitable call."""

    name: str
    call_async: AsyncCall

    async def compute_log_prob_async(
        self, context: str, response: str
    ) -> LogProbResult:
        """Await the call."""
        return await self.call_async(context, response)


@final
@attrs.frozen(kw_only=True)
class DualFunctionPolicy:
    """A ``DualPolicy`` made of a name and both calls."""

    name: str
    call: SyncCall
    call_async: AsyncCall

    def compute_log_prob(self, context: str, response: str) -> LogProbResult:
        """Run the blocking call."""
        return self.call(context, response)

    async def compute_log_prob_async(
        self, context: str, response: str
    ) -> LogProbResult:
        """Await the awaitable call."""
        return await self.call_async(context, response)


@final
@attrs.frozen(kw_only=True)
class BatchFunctionPolicy:
    """An ``AsyncPolicy`` that also takes many cells per call, made of its two calls."""

    name: str
    call_async: AsyncCall
    call_batch: BatchCall

    async def compute_log_prob_async(
        self, context: str, response: str
    ) -> LogProbResult:
        """Await the awaitable call."""
        return await self.call_async(context, response)

    async def compute_log_probs_async(
        self, pairs: Sequence[tuple[str, str]]
    ) -> list[LogProbResult]:
        """Await the call on many cells."""
        return await self.call_batch(pairs)


@final
@attrs.frozen(kw_only=True)
class DualBatchFunctionPolicy:
    """A ``DualPolicy`` that also takes many cells per call, made of its three calls."""

    name: str
    call: SyncCall
    call_async: AsyncCall
    call_batch: BatchCall

    def compute_log_prob(self, context: str, response: str) -> LogProbResult:
        """Run the blocking call."""
        return self.call(context, response)

    async def compute_log_prob_async(
        self, context: str, response: str
    ) -> LogProbResult:
        """Await the awaitable call."""
        return await self.call_async(context, response)

    async def compute_log_probs_async(
        self, pairs: Sequence[tuple[str, str]]
    ) -> list[LogProbResult]:
        """Await the call on many cells."""
        return await self.call_batch(pairs)


@final
@attrs.frozen(kw_only=True)
class CallTransform:
    """How a combinator changes calls: one function per calling convention.

    ``batch`` changes a call on many cells (``BatchAsyncPolicy``); a transform
    without it leaves the result one cell per call. A batch transform keeps
    positions: result ``i`` is the cell of pair ``i`` of the call it was given.
    """

    sync: Callable[[str, SyncCall], SyncCall]
    async_: Callable[[str, AsyncCall], AsyncCall]
    batch: Callable[[str, BatchCall], BatchCall] | None = None


@overload
def transform_policy(policy: DualPolicy, how: CallTransform) -> DualPolicy: ...


@overload
def transform_policy(policy: Policy, how: CallTransform) -> Policy: ...


@overload
def transform_policy(policy: AsyncPolicy, how: CallTransform) -> AsyncPolicy: ...


def transform_policy(
    policy: Policy | AsyncPolicy, how: CallTransform
) -> Policy | AsyncPolicy:
    """Apply ``how`` to each calling convention ``policy`` offers, keeping its name.

    The result offers exactly the conventions the input offered, so a
    combinator never changes the type of what flows through it; the call on
    many cells is kept only when ``how`` has a ``batch`` transform.
    """
    name = policy.name
    batch = (
        how.batch(name, policy.compute_log_probs_async)
        if how.batch is not None and isinstance(policy, BatchAsyncPolicy)
        else None
    )
    match policy:
        case DualPolicy() if batch is not None:
            return DualBatchFunctionPolicy(
                name=name,
                call=how.sync(name, policy.compute_log_prob),
                call_async=how.async_(name, policy.compute_log_prob_async),
                call_batch=batch,
            )
        case AsyncPolicy() if batch is not None:
            return BatchFunctionPolicy(
                name=name, call_async=how.async_(name, policy.compute_log_prob_async), call_batch=batch
            )
        case DualPolicy():
            return DualFunctionPolicy(
                name=name,
                call=how.sync(name, policy.compute_log_prob),
                call_async=how.async_(name, policy.compute_log_prob_async),
            )
        case Policy():
            return FunctionPolicy(name=name, call=how.sync(name, policy.compute_log_prob))
        case AsyncPolicy():
            return AsyncFunctionPolicy(
                name=name, call_async=how.async_(name, policy.compute_log_prob_async)
            )
