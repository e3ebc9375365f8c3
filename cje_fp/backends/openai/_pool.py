"""``SessionPool``: one aiohttp session (one connection pool) per event loop, server and timeout,
shared by every policy that talks to that server.

Five policies scoring against one vLLM server open one pool of connections,
not five. A policy ``lease``s the session it needs on the running loop and
``give_back``s it when its own per-loop client closes (the loop ends, or the
policy is closed); the session closes with its last user.

>>> import asyncio
>>> async def main() -> tuple[bool, bool, bool]:
...     first = POOL.lease("http://127.0.0.1:8000", 60.0)
...     second = POOL.lease("http://127.0.0.1:8000/", 60.0)
...     same = first is second
...     await POOL.give_back("http://127.0.0.1:8000", 60.0)
...     still_open = not second.closed
...     await POOL.give_back("http://127.0.0.1:8000/", 60.0)
...     return same, still_open, second.closed
>>> asyncio.run(main())
(True, True, True)
"""

from __future__ import annotations

import asyncio
import threading
from typing import Final
from urllib.parse import urlsplit

import aiohttp


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: what a connection is opened to.

    >>> origin("http://127.0.0.1:8000/v1")
    'http://127.0.0.1:8000'
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


_Key = tuple[asyncio.AbstractEventLoop, str, float]


class SessionPool:
    """Sessions per (running loop, origin, timeout), counted by their users."""

    def __init__(self) -> None:
        self._sessions: dict[_Key, tuple[aiohttp.ClientSession, int]] = {}
        self._lock = threading.Lock()

    def lease(self, url: str, timeout: float) -> aiohttp.ClientSession:
        """The running loop's session to ``url``'s server (opened on first use); give it back later."""
        key = (asyncio.get_running_loop(), origin(url), timeout)
        with self._lock:
            for stale in [other for other in self._sessions if other[0].is_closed()]:
                del self._sessions[stale]
            entry = self._sessions.get(key)
            if entry is None or entry[0].closed:
                session = aiohttp.ClientSession(
                    # No connector limit: each policy's router bounds its requests in flight.
                    connector=aiohttp.TCPConnector(limit=0, limit_per_host=0),
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    cookie_jar=aiohttp.DummyCookieJar(),
                )
                self._sessions[key] = (session, 1)
                return session
            self._sessions[key] = (entry[0], entry[1] + 1)
            return entry[0]

    async def give_back(self, url: str, timeout: float) -> None:
        """One user fewer of the running loop's session to ``url``; the last one closes it."""
        key = (asyncio.get_running_loop(), origin(url), timeout)
        with self._lock:
            entry = self._sessions.get(key)
            if entry is None:
                return
            session, users = entry
            if users > 1:
                self._sessions[key] = (session, users - 1)
                return
            del self._sessions[key]
        await session.close()


#: The process's pool.
POOL: Final = SessionPool()
