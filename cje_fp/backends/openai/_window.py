"""``ServerWindow``: the AIMD in-flight window of one server, shared by every adaptive policy of
the process that talks to it (see ``_router``).

>>> server_window("http://127.0.0.1:8000/v1") is server_window("http://127.0.0.1:8000/other")
True
>>> ServerWindow().full(0.0)  # unlimited until the server first says it is overloaded
False
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Final
from urllib.parse import urlsplit


class ServerWindow:
    """The AIMD window of one server, shared by the policies of this process that talk to it."""

    __slots__ = ("__weakref__", "epoch", "held", "limit", "lock", "out_until")

    def __init__(self) -> None:
        self.limit = math.inf  # no limit until the server first says it is overloaded
        self.held = 0
        self.epoch = 0  # advances at each decrease: answers to older requests do not decrease again
        self.out_until = 0.0  # Retry-After: no new request before this (monotonic seconds)
        self.lock = threading.Lock()

    def full(self, now: float) -> bool:
        """Whether no new request may go to the server now."""
        return self.held + 1 > self.limit or (self.out_until != 0.0 and now < self.out_until)


_WINDOWS: Final[weakref.WeakValueDictionary[str, ServerWindow]] = weakref.WeakValueDictionary()
_WINDOWS_LOCK: Final = threading.Lock()


def server_window(url: str) -> ServerWindow:
    """The process's window of ``url``'s server (``scheme://host:port``)."""
    parts = urlsplit(url)
    key = f"{parts.scheme}://{parts.netloc}"
    with _WINDOWS_LOCK:
        window = _WINDOWS.get(key)
        if window is None:
            window = ServerWindow()
            _WINDOWS[key] = window
        return window
