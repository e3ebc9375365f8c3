"""Event-loop plumbing for backends: a background loop for blocking callers, and
one resource (e.g. an HTTP connection pool) per running loop, closed when that loop ends.

Connections belong to the loop that opened them. A backend called from
``asyncio.run`` in one batch and from another loop in the next needs one
pool per loop; ``PerLoop`` creates it on first use and closes it when the
loop shuts down (``asyncio.run`` cancels a keeper task, whose ``finally``
closes the resource), so no unclosed transport is left behind.

>>> import asyncio
>>> closed = []
>>> async def close(resource: list[int]) -> None:
...     closed.append(resource)
>>> per_loop = PerLoop(create=lambda: [1], close=close)
>>> async def use() -> list[int]:
...     return per_loop.get()
>>> asyncio.run(use()), closed
([1], [[1]])
>>> background = BackgroundLoop(name="demo")
>>> background.run(use), closed
([1], [[1]])
>>> background.close()
>>> closed
[[1], [1]]
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


class PerLoop(Generic[_T]):
    """One ``_T`` per running event loop, closed when that loop shuts down."""

    def __init__(self, *, create: Callable[[], _T], close: Callable[[_T], Awaitable[None]]) -> None:
        self._create = create
        self._close = close
        self._entries: dict[asyncio.AbstractEventLoop, tuple[_T, asyncio.Task[None]]] = {}
        self._lock = threading.Lock()

    def get(self) -> _T:
        """The running loop's resource, created on first use (call inside the loop)."""
        loop = asyncio.get_running_loop()
        entry = self._entries.get(loop)
        if entry is not None:
            return entry[0]
        resource = self._create()
        keeper = loop.create_task(self._keep(loop, resource), name="cje_fp-per-loop-keeper")
        with self._lock:
            for stale in [other for other in self._entries if other.is_closed()]:
                del self._entries[stale]
            self._entries[loop] = (resource, keeper)
        return resource

    async def _keep(self, loop: asyncio.AbstractEventLoop, resource: _T) -> None:
        never: asyncio.Future[None] = loop.create_future()
        try:
            await never
        finally:
            with self._lock:
                entry = self._entries.get(loop)
                if entry is not None and entry[0] is resource:
                    del self._entries[loop]
            await self._close(resource)

    async def aclose_current(self) -> None:
        """Close the running loop's resource now, if it has one."""
        entry = self._entries.get(asyncio.get_running_loop())
        if entry is not None:
            keeper = entry[1]
            keeper.cancel()
            await asyncio.wait([keeper])


class BackgroundLoop:
    """An event loop in a daemon thread, started on first use, for blocking callers."""

    def __init__(self, *, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    def _ensure_started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None:
                return self._loop
            ready = threading.Event()
            started: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

            async def main() -> None:
                stop = asyncio.Event()
                started.append((asyncio.get_running_loop(), stop))
                ready.set()
                await stop.wait()

            self._thread = threading.Thread(
                target=asyncio.run, args=(main(),), name=f"cje_fp-{self._name}", daemon=True
            )
            self._thread.start()
            ready.wait()
            self._loop, self._stop = started[0]
            return self._loop

    def run(self, make: Callable[[], Coroutine[Any, Any, _R]]) -> _R:
        """Run ``make()`` on the background loop and wait for its result."""
        loop = self._ensure_started()
        if threading.current_thread() is self._thread:
            raise RuntimeError("a blocking call from the backend's own event loop would deadlock")
        return asyncio.run_coroutine_threadsafe(make(), loop).result()

    def close(self) -> None:
        """Stop the loop (closing its per-loop resources) and join the thread."""
        with self._lock:
            loop, stop, thread = self._loop, self._stop, self._thread
            self._loop = self._stop = self._thread = None
        if loop is None or stop is None or thread is None:
            return
        try:
            loop.call_soon_threadsafe(stop.set)
        except RuntimeError:  # already closed
            return
        if thread is not threading.current_thread():
            thread.join()
