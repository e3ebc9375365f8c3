"""``SlotLimiter``: at most ``limit`` requests in flight, across threads and event loops.

A backend may be called from several event loops at once (its own background
loop for blocking callers, and the callers' loops), so an ``asyncio.Semaphore``
(bound to one loop) cannot bound it. Here a released slot is handed straight to
the longest waiter, on that waiter's own loop.

>>> import asyncio
>>> limiter = SlotLimiter(limit=2)
>>> async def hold(seconds: float) -> None:
...     async with limiter.slot():
...         await asyncio.sleep(seconds)
>>> async def main() -> None:
...     await asyncio.gather(*(hold(0.01) for _ in range(5)))
>>> asyncio.run(main())
>>> limiter.peak, limiter.held
(2, 0)
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager


class SlotLimiter:
    """A counting limit shared by any number of threads and event loops."""

    def __init__(self, *, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self._limit = limit
        self._held = 0
        self._peak = 0
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, Callable[[], None]]] = deque()
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        """The most slots that can be held at once."""
        return self._limit

    @property
    def held(self) -> int:
        """Slots held now."""
        return self._held

    @property
    def peak(self) -> int:
        """The most slots ever held at once."""
        return self._peak

    def try_acquire(self) -> bool:
        """Take a slot if one is free (never when someone is already waiting)."""
        with self._lock:
            if self._held < self._limit and not self._waiters:
                self._held += 1
                self._peak = max(self._peak, self._held)
                return True
            return False

    def wait_for_slot(self, loop: asyncio.AbstractEventLoop, granted: Callable[[], None]) -> None:
        """Call ``granted`` on ``loop`` once a slot is held on the caller's behalf."""
        if self.try_acquire():
            loop.call_soon(granted)
            return
        with self._lock:
            self._waiters.append((loop, granted))

    def release(self) -> None:
        """Give a slot back: to the longest waiter if any, else to the pool."""
        with self._lock:
            while self._waiters:
                loop, granted = self._waiters.popleft()
                try:
                    loop.call_soon_threadsafe(granted)
                except RuntimeError:  # the waiter's loop is closed: skip it
                    continue
                return
            self._held -= 1

    async def acquire(self) -> None:
        """Wait for a slot and hold it."""
        if self.try_acquire():
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

        def granted() -> None:
            if future.cancelled():
                self.release()
            else:
                future.set_result(None)

        self.wait_for_slot(loop, granted)
        await future

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold a slot for the block."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()
