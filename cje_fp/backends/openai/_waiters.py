"""Who waits for the echoes the ``Coalescer`` sends: a caller's future, one prompt of a
caller's many, or a run of a caller's many prompts sent in one request.

>>> import asyncio
>>> from returns.result import Success
>>> async def main():
...     group = Group(asyncio.get_running_loop().create_future(), 3)
...     Span(group, 0, 2).fill([Success("a"), Success("b")])
...     Slot(group, 2).set_result(Success("c"))
...     return await group.future
>>> asyncio.run(main())
[<Success: a>, <Success: b>, <Success: c>]
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, cast

from cje_fp.backends.openai._completions import EchoResult


class Waiter(Protocol):
    """Who waits for a prompt's echo: a caller's future, or one slot of a caller's many."""

    def done(self) -> bool: ...

    def set_result(self, result: EchoResult, /) -> None: ...


class Group:
    """The echoes of one ``echo_many`` call: one future for all of them."""

    __slots__ = ("future", "missing", "results")

    def __init__(self, future: asyncio.Future[list[EchoResult]], size: int) -> None:
        self.future = future
        self.results: list[EchoResult | None] = [None] * size
        self.missing = size

    def fill(self, start: int, results: Sequence[EchoResult]) -> None:
        """The echoes of prompts ``start, start + 1, ...`` (dropped once the caller is gone)."""
        if self.future.done():
            return
        self.results[start : start + len(results)] = results
        self.missing -= len(results)
        if not self.missing:
            self.future.set_result(cast("list[EchoResult]", self.results))


class Slot:
    """One prompt of an ``echo_many`` call: its group's future says when the caller is gone."""

    __slots__ = ("group", "index")

    def __init__(self, group: Group, index: int) -> None:
        self.group = group
        self.index = index

    def done(self) -> bool:
        return self.group.future.done()

    def set_result(self, result: EchoResult, /) -> None:
        self.group.fill(self.index, (result,))


class Span:
    """Prompts ``start .. start + count - 1`` of an ``echo_many`` call, sent in one request:
    one waiter for the request instead of one per prompt, until it must be split or moved."""

    __slots__ = ("count", "group", "start")

    def __init__(self, group: Group, start: int, count: int) -> None:
        self.group = group
        self.start = start
        self.count = count

    def fill(self, results: Sequence[EchoResult]) -> None:
        self.group.fill(self.start, results)

    def slots(self) -> list[Waiter]:
        """One waiter per prompt, to send them again apart."""
        return [Slot(self.group, self.start + offset) for offset in range(self.count)]


def waiters(waiting: list[Waiter] | Span) -> list[Waiter]:
    """One waiter per prompt of a request."""
    return waiting.slots() if isinstance(waiting, Span) else waiting
