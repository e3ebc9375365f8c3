"""Retries counted where they happen: per task or thread, or per cell of a call on many cells.

``retrying`` records each retry in the counter of the task (or thread) it
runs in; an interpreter reads it to report how many retries a cell took.

>>> with counting_retries() as retries:
...     record_retry()
>>> retries
[1]
"""

from __future__ import annotations

from contextvars import ContextVar

# Retries counted per task or thread, so a sampler can report how many it used.
_retry_counter: ContextVar[list[int] | None] = ContextVar("cje_fp_retries", default=None)
# Retries counted per cell of the next call on many cells made in a task.
_chunk_counter: ContextVar[list[int] | None] = ContextVar("cje_fp_chunk_retries", default=None)


class counting_retries:
    """Count the retries made by ``retrying`` policies inside the block.

    >>> with counting_retries() as retries:
    ...     pass
    >>> retries
    [0]
    """

    __slots__ = ("_counter", "_token")

    def __init__(self) -> None:
        self._counter = [0]

    def __enter__(self) -> list[int]:
        self._token = _retry_counter.set(self._counter)
        return self._counter

    def __exit__(self, *exc_info: object) -> None:
        _retry_counter.reset(self._token)


def count_retries_in_task() -> list[int]:
    """Count the retries made in the current task (or thread) from now on, in the
    returned list's only item; set it back to 0 between calls.

    For a worker that makes many calls one after another in its own task:
    cheaper than a ``counting_retries`` block per call (no context change per
    call). The count is the task's own: call it only in a task (or thread) you
    started for that purpose.

    >>> import asyncio
    >>> async def worker() -> list[int]:
    ...     return count_retries_in_task()
    >>> asyncio.run(worker())
    [0]
    """
    counter = [0]
    _retry_counter.set(counter)
    return counter


def count_chunk_retries(size: int) -> list[int]:
    """Count the retries each cell of this task's next call on ``size`` cells makes, by position.

    For an interpreter handing a ``retrying`` policy chunks of cells
    (``compute_log_probs_async``): item ``i`` of the returned list is the
    retries of pair ``i``. Call it again before each call.

    >>> import asyncio
    >>> async def worker() -> list[int]:
    ...     return count_chunk_retries(3)
    >>> asyncio.run(worker())
    [0, 0, 0]
    """
    counter = [0] * size
    _chunk_counter.set(counter)
    return counter


class counting_subset:
    """Count the retries of a call on some of a chunk's cells (``positions`` of its ``size``)
    in the chunk's count, for a combinator that passes only some cells on.

    >>> chunk = count_chunk_retries(3)
    >>> with counting_subset([0, 2], 3) as inner:
    ...     inner[1] += 2  # what ``retrying`` records for the subset's second cell
    >>> chunk
    [0, 0, 2]
    """

    __slots__ = ("_inner", "_outer", "_positions", "_token")

    def __init__(self, positions: list[int], size: int) -> None:
        outer = _chunk_counter.get()
        self._outer = outer if outer is not None and len(outer) == size else None
        self._positions = positions
        self._inner = [0] * len(positions)

    def __enter__(self) -> list[int]:
        self._token = _chunk_counter.set(self._inner if self._outer is not None else None)
        return self._inner

    def __exit__(self, *exc_info: object) -> None:
        _chunk_counter.reset(self._token)
        if self._outer is not None:
            for position, retries in zip(self._positions, self._inner, strict=True):
                self._outer[position] += retries


def forget_chunk() -> None:
    """Count nothing by position in the current task (a task that retries one cell of a chunk)."""
    _chunk_counter.set(None)


def record_cell_retries(size: int, position: int, retries: int) -> None:
    """Add a cell's retries to the chunk's count (when it counts ``size`` cells), else the task's."""
    chunk = _chunk_counter.get()
    if chunk is not None and len(chunk) == size:
        chunk[position] += retries
        return
    counter = _retry_counter.get()
    if counter is not None:
        counter[0] += retries


def record_retry() -> None:
    """Count one retry in the current task's counter."""
    counter = _retry_counter.get()
    if counter is not None:
        counter[0] += 1
