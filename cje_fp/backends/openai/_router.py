"""``Router``: which endpoint a policy's next request goes to, and how many may be in flight there.

A policy may name several replicas of one model (``base_urls``). Each request
holds a slot on one endpoint: the available endpoint with the fewest requests
in flight (one that just failed comes last). Per endpoint:

- a ceiling: at most ``max_in_flight`` of the policy's requests in flight;
- adaptive concurrency (AIMD), per server and shared by every policy of the
  process that talks to it (``ServerWindow``): unlimited until the server
  first answers 429 or 503; then the window halves (once per window of
  requests sent at the old size) and grows by about one per window's worth
  of successes while at least half of it is used. A refused request waits
  its ``Retry-After`` (the retries honour it); when even one request at a
  time is refused, the ``Retry-After`` holds every new request to that
  server back for that long;
- ejection (with two endpoints or more): one that refuses connections or
  times out ``eject_after`` times in a row is taken out for ``cooldown``
  seconds (doubling at each ejection, up to ``max_cooldown``), then let
  back with one request in flight until one succeeds.

When every endpoint is taken out, a request is not sent at all: its grant
is ``None`` and the caller fails it with ``EndpointsDown``. Slots are shared
by any number of threads and event loops (a released slot goes straight to
the longest waiter, on that waiter's loop).

>>> import asyncio
>>> router = Router(("http://a.example/v1", "http://b.example/v1"), ceiling=2)
>>> async def hold(seconds: float) -> str:
...     grant = await router.acquire()
...     assert grant is not None
...     await asyncio.sleep(seconds)
...     router.release(grant, OK)
...     return grant[0].name
>>> async def main() -> list[str]:
...     return sorted(await asyncio.gather(*(hold(0.01) for _ in range(6))))
>>> asyncio.run(main())
['http://a.example/v1', 'http://a.example/v1', 'http://a.example/v1', 'http://b.example/v1', 'http://b.example/v1', 'http://b.example/v1']
>>> [(stats.requests, stats.peak_in_flight) for stats in router.stats()]
[(3, 2), (3, 2)]
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Final, Literal, TypeAlias

from cje_fp.backends._registry import EndpointStats
from cje_fp.backends.openai._window import ServerWindow, server_window

#: How a request ended, as far as its endpoint is concerned.
OK: Final = 0
OVERLOADED: Final = 1  # 429 or 503: slow down
UNREACHABLE: Final = 2  # refused, dropped or timed out
Outcome: TypeAlias = int


class Endpoint:
    """One replica's routing state for one policy (mutated under the router's lock only)."""

    __slots__ = (
        "ceiling",
        "ejected",
        "ejections",
        "failed",
        "failures_in_row",
        "held",
        "index",
        "name",
        "out_until",
        "overloaded",
        "peak",
        "probing",
        "requests",
        "server",
    )

    def __init__(self, index: int, name: str, ceiling: int, server: ServerWindow | None) -> None:
        self.index = index
        self.name = name
        self.ceiling = ceiling
        self.server = server  # None: a fixed limit, the ceiling
        self.held = 0
        self.peak = 0
        self.failures_in_row = 0
        self.out_until = 0.0  # taken out until then (monotonic seconds)
        self.ejected = False
        self.ejections = 0
        self.probing = False
        self.requests = 0
        self.failed = 0
        self.overloaded = 0

    @property
    def limit(self) -> int:
        """The most requests that may be in flight here now: the ceiling, or less under AIMD."""
        server = self.server
        if server is None or server.limit >= self.ceiling:
            return self.ceiling
        return max(1, int(server.limit))

    def free(self, now: float) -> bool:
        """Whether one more request may start here now (ignoring ejection)."""
        if self.held >= (1 if self.probing else self.ceiling):
            return False
        server = self.server
        return server is None or not server.full(now)


Grant: TypeAlias = "tuple[Endpoint, int] | None"
"""A slot: the endpoint and its server's AIMD epoch when granted; ``None`` when every endpoint is down."""

#: How often waiters held back by a server's window (which other policies release) look again.
_WINDOW_POLL: Final = 0.005


class Router:
    """Slots on a policy's endpoints, shared by any number of threads and event loops."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        ceiling: int,
        adaptive: bool = True,
        eject_after: int = 3,
        cooldown: float = 2.0,
        max_cooldown: float = 60.0,
        max_pause: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        windows: Callable[[str], ServerWindow] = server_window,
    ) -> None:
        if ceiling < 1:
            raise ValueError(f"ceiling must be at least 1, got {ceiling}")
        if not names:
            raise ValueError("a router needs at least one endpoint")
        self.endpoints: tuple[Endpoint, ...] = tuple(
            Endpoint(i, name, ceiling, windows(name) if adaptive else None) for i, name in enumerate(names)
        )
        self._eject_after = eject_after if len(self.endpoints) > 1 else 0
        self._cooldown = cooldown
        self._max_cooldown = max_cooldown
        self._max_pause = max_pause
        self._clock = clock
        self._waiters: deque[tuple[asyncio.AbstractEventLoop, Callable[[Grant], None]]] = deque()
        self._wake: asyncio.TimerHandle | None = None
        self._lock = threading.Lock()

    # Reading ------------------------------------------------------------------

    @property
    def held(self) -> int:
        """Slots held now, over every endpoint."""
        return sum(endpoint.held for endpoint in self.endpoints)

    @property
    def peak(self) -> int:
        """The most slots ever held at once on one endpoint, summed over endpoints."""
        return sum(endpoint.peak for endpoint in self.endpoints)

    @property
    def limit(self) -> int:
        """The current in-flight limits, summed over the endpoints that are in."""
        now = self._clock()
        return sum(e.limit for e in self.endpoints if not (e.ejected and now < e.out_until))

    def all_down(self) -> bool:
        """Whether every endpoint is taken out now."""
        now = self._clock()
        return all(e.ejected and now < e.out_until for e in self.endpoints)

    def stats(self) -> tuple[EndpointStats, ...]:
        """Per-endpoint counts so far."""
        now = self._clock()
        with self._lock:
            return tuple(
                EndpointStats(
                    endpoint=e.name, requests=e.requests, failed=e.failed, overloaded=e.overloaded,
                    ejections=e.ejections, limit=e.limit, ceiling=e.ceiling, peak_in_flight=e.peak,
                    down=e.ejected and now < e.out_until,
                )
                for e in self.endpoints
            )

    # Slots --------------------------------------------------------------------

    def _pick(self) -> Grant | Endpoint | Literal[False]:
        """A slot now (held on the caller's behalf), ``None`` if all are down; else no slot: an
        endpoint to look at again later (out for a while, or its server's window full), ``False``
        if all are busy with this policy's own requests. Call under the lock."""
        now = self._clock()
        best: Endpoint | None = None
        later: Endpoint | None = None
        down = True
        for endpoint in self.endpoints:
            if endpoint.out_until != 0.0 and now < endpoint.out_until:
                if later is None or endpoint.out_until < later.out_until:
                    later = endpoint
                down = down and endpoint.ejected
                continue
            down = False
            if not endpoint.free(now):
                if endpoint.server is not None and endpoint.held < endpoint.ceiling and later is None:
                    later = endpoint  # held back by the server's window: others may free it
                continue
            if best is None or (endpoint.failures_in_row > 0, endpoint.held) < (best.failures_in_row > 0, best.held):
                best = endpoint
        if best is None:
            return None if down else (later if later is not None else False)
        best.held += 1
        best.requests += 1
        if best.held > best.peak:
            best.peak = best.held
        server = best.server
        if server is None:
            return best, 0
        with server.lock:
            server.held += 1
            return best, server.epoch

    def try_acquire(self) -> Grant | Literal[False]:
        """A slot if one is free and nobody waits; ``None`` if every endpoint is down; else ``False``."""
        with self._lock:
            if self._waiters:
                return False
            picked = self._pick()
        return picked if not isinstance(picked, Endpoint) else False

    def wait_for_slot(self, loop: asyncio.AbstractEventLoop, granted: Callable[[Grant], None]) -> None:
        """Call ``granted`` on ``loop`` with a slot held on the caller's behalf (or ``None``: all down)."""
        with self._lock:
            picked = self._pick() if not self._waiters else False
            if picked is False or isinstance(picked, Endpoint):
                self._waiters.append((loop, granted))
                if isinstance(picked, Endpoint):
                    self._arm_wake(loop, self._back_at(picked))
                return
        loop.call_soon(granted, picked)

    async def acquire(self) -> Grant:
        """Wait for a slot and hold it (``None``: every endpoint is down, nothing is held)."""
        picked = self.try_acquire()
        if picked is not False:
            return picked
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Grant] = loop.create_future()

        def granted(grant: Grant) -> None:
            if future.cancelled():
                if grant is not None:
                    self.release(grant, OK, count=False)
            else:
                future.set_result(grant)

        self.wait_for_slot(loop, granted)
        return await future

    def release(self, grant: tuple[Endpoint, int], outcome: Outcome, *, retry_after: float | None = None,
                count: bool = True) -> None:
        """Give a slot back, saying how its request ended; wake waiters the endpoints can now take."""
        endpoint, epoch = grant
        now = self._clock()
        with self._lock:
            endpoint.held -= 1
            server = endpoint.server
            if server is not None:
                with server.lock:
                    self._adapt(server, epoch, outcome if count else None, retry_after, now)
            if not count:
                endpoint.requests -= 1
            elif outcome == OK:
                if endpoint.failures_in_row or endpoint.probing or endpoint.ejected:
                    endpoint.failures_in_row = 0
                    endpoint.probing = endpoint.ejected = False
            else:
                self._record_failure(endpoint, outcome, now)
            if self._waiters:
                self._dispatch()

    def _adapt(self, server: ServerWindow, epoch: int, outcome: Outcome | None, retry_after: float | None,
               now: float) -> None:
        """AIMD on the server's window. Call under the server's lock."""
        in_flight = server.held
        server.held -= 1
        if outcome == OK:
            if 2 * in_flight >= server.limit:  # grow a window that is used (at least half), not an idle one
                server.limit += 1.0 / server.limit
        elif outcome == OVERLOADED and epoch == server.epoch:
            # The first 429/503 of a window halves it (answers to requests sent before then say
            # nothing new). The refused request waits its Retry-After (the retries honour it);
            # the whole server is paused for it only when one request at a time is refused
            # too: then the limit is one of time, which fewer requests in flight cannot meet.
            if retry_after and server.limit <= 1.0:
                server.out_until = max(server.out_until, now + min(retry_after, self._max_pause))
            server.limit = max(1.0, min(server.limit, float(in_flight)) / 2.0)
            server.epoch += 1

    def _record_failure(self, endpoint: Endpoint, outcome: Outcome, now: float) -> None:
        endpoint.failed += 1
        if outcome == OVERLOADED:
            endpoint.overloaded += 1
            endpoint.failures_in_row = 0
            return
        endpoint.failures_in_row += 1
        if self._eject_after and endpoint.failures_in_row >= self._eject_after and not (
            endpoint.ejected and now < endpoint.out_until
        ):
            pause = min(self._max_cooldown, self._cooldown * 2.0 ** min(endpoint.ejections, 16))
            endpoint.ejections += 1
            endpoint.ejected = endpoint.probing = True
            endpoint.out_until = now + pause

    def _dispatch(self) -> None:
        """Grant slots to the longest waiters while an endpoint can take them. Call under the lock."""
        waiters = self._waiters
        while waiters:
            picked = self._pick()
            if picked is False or isinstance(picked, Endpoint):
                if isinstance(picked, Endpoint):
                    self._arm_wake(waiters[0][0], self._back_at(picked))
                return
            loop, granted = waiters.popleft()
            try:
                loop.call_soon_threadsafe(granted, picked)
            except RuntimeError:  # the waiter's loop is closed: take the slot back
                if picked is not None:
                    endpoint = picked[0]
                    endpoint.held -= 1
                    endpoint.requests -= 1
                    if endpoint.server is not None:
                        with endpoint.server.lock:
                            endpoint.server.held -= 1

    def _back_at(self, endpoint: Endpoint) -> float:
        """When to look at ``endpoint`` again: when it is back in, or soon if its server's window
        (which other policies' requests may hold) or a Retry-After holds it back."""
        now = self._clock()
        if endpoint.out_until != 0.0 and now < endpoint.out_until:
            return endpoint.out_until
        server = endpoint.server
        if server is not None and server.out_until != 0.0 and now < server.out_until:
            return server.out_until
        return now + _WINDOW_POLL

    def _arm_wake(self, loop: asyncio.AbstractEventLoop, at: float) -> None:
        """Look at the waiters again when an endpoint comes back (nothing in flight may release)."""
        if self._wake is not None:
            return
        delay = max(0.0, at - self._clock()) + 0.001
        try:
            self._wake = loop.call_later(delay, self._woken) if _on(loop) else None
        except RuntimeError:
            self._wake = None
        if self._wake is None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: its waiters are gone
                loop.call_soon_threadsafe(self._arm_later, delay)

    def _arm_later(self, delay: float) -> None:
        with self._lock:
            if self._wake is None:
                self._wake = asyncio.get_running_loop().call_later(delay, self._woken)

    def _woken(self) -> None:
        with self._lock:
            self._wake = None
            if self._waiters:
                self._dispatch()


def _on(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
