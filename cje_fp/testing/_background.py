"""``BackgroundServer``: run a loopback server's event loop in a daemon thread.

Subclasses provide ``serve(sock, stop, ready)``, which must set ``ready`` once
it accepts connections and return when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import Self


def listening_socket(host: str, port: int) -> socket.socket:
    """A non-blocking TCP socket bound to ``host:port`` (0 picks a free port) and listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class BackgroundServer:
    """Start with ``start()`` or ``with``; ``base_url`` is ``http://host:port/v1``."""

    thread_name = "cje-fp-test-server"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    async def serve(self, sock: socket.socket, stop: asyncio.Event, ready: threading.Event) -> None:
        """Serve on ``sock`` until ``stop`` is set (set ``ready`` when accepting)."""
        raise NotImplementedError

    @property
    def port(self) -> int:
        """The port listened on (after ``start``)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1``: what a policy's ``base_url`` should be."""
        return f"http://{self._host}:{self._port}/v1"

    def start(self) -> Self:
        """Start serving; returns once the socket accepts connections."""
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        sock = listening_socket(self._host, self._port)
        self._port = sock.getsockname()[1]
        ready = threading.Event()
        started: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

        async def main() -> None:
            stop = asyncio.Event()
            started.append((asyncio.get_running_loop(), stop))
            await self.serve(sock, stop, ready)

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name=self.thread_name, daemon=True)
        self._thread.start()
        if not ready.wait(timeout=10.0):
            raise RuntimeError(f"{type(self).__name__} did not start")
        self._loop, self._stop = started[0]
        return self

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._thread is None or self._loop is None or self._stop is None:
            return
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10.0)
        self._thread = self._loop = self._stop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
