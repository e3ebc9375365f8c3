"""``fewer_collections``: the garbage collector's settings while many cells are in flight.

Scoring a cell allocates a handful of short-lived objects (a future, loop
handles, the parsed echo, its ``Result``), and thousands of cells are in flight
at once, so CPython's young-generation collections run every few hundred cells
and keep promoting objects that are about to die; full collections then walk
the whole heap, the caller's included. Measured with ``benchmarks/bench_http.py``,
that was a fifth of the client's CPU for batched requests. Inside the block the
young generation is collected less often and the objects that existed before it
are left out of collections (``gc.freeze``); both are restored when the last
block running in the process ends. Reference cycles are still collected, later.
A process that disabled automatic collection keeps it disabled.

>>> import gc
>>> before = gc.get_threshold()
>>> with fewer_collections():
...     gc.get_threshold()[0] >= before[0]
True
>>> gc.get_threshold() == before
True
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

#: Young-generation threshold inside the block (CPython's default is 700 allocations).
YOUNG_THRESHOLD: Final = 100_000

_lock = threading.Lock()
_active = [0]
_saved: list[tuple[int, int, int]] = []


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect less often for the duration of the block (re-entrant, thread-safe)."""
    with _lock:
        _active[0] += 1
        if _active[0] == 1:
            threshold = gc.get_threshold()
            _saved[:] = [threshold]
            if threshold[0] > 0:  # 0: automatic collection is off; leave it so
                gc.freeze()
                gc.set_threshold(max(threshold[0], YOUNG_THRESHOLD), max(threshold[1], 50), threshold[2])
    try:
        yield
    finally:
        with _lock:
            _active[0] -= 1
            if _active[0] == 0:
                gc.set_threshold(*_saved[0])
                if _saved[0][0] > 0:
                    gc.unfreeze()
