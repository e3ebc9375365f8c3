"""Interpreters: the only place policies are called.

A ``_Grid`` is samples x policies flattened to cells in row-major order. The
thread interpreter runs blocking policies on a bounded pool of threads; the
asyncio interpreter runs a bounded set of worker tasks (and blocking policies in
an executor); when every policy also takes many cells per call
(``BatchAsyncPolicy``), its workers hand each policy chunks of cells, one call
per chunk, instead of one call per cell. All fill the same cells in the same
order, so results do not depend on the interpreter, and a crash in a policy
becomes ``PolicyCrashed``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeAlias, final

import attrs
from returns.pipeline import flow
from returns.result import Failure

from cje_fp.errors import crashed
from cje_fp.policy import (
    AsyncCall,
    AsyncPolicy,
    BatchAsyncPolicy,
    BatchCall,
    LogProbResult,
    Policy,
    SyncCall,
    count_chunk_retries,
    count_retries_in_task,
    counting_retries,
)
from cje_fp.scoring._sample import Cell, CellOutcome, Sample, SampleResult
from cje_fp.scoring._steps import checked_cells, scored_sample, weighed_against

AnyPolicy: TypeAlias = Policy | AsyncPolicy
CellCallback: TypeAlias = Callable[[CellOutcome], None]


def sample_result(sample: Sample, cells: Mapping[str, Cell], base_policy_name: str) -> SampleResult:
    """The pure per-sample pipeline: checked cells, recorded, weighed against the base."""
    return flow(cells, checked_cells, scored_sample(sample), weighed_against(base_policy_name))


def _call_sync(call: SyncCall, context: str, response: str) -> Cell:
    with counting_retries() as retries:
        try:
            result = call(context, response)
        except Exception as error:  # a crash becomes PolicyCrashed, never a value
            result = Failure(crashed(error))
    return result, retries[0]


def called_in_order(policies: Sequence[Policy]) -> Callable[[Sample], Mapping[str, Cell]]:
    """The simplest interpreter, as a step: call each policy on a sample, one after another.

    A policy that raises gives a ``PolicyCrashed`` cell, as in the sampler.
    """

    def call(sample: Sample) -> Mapping[str, Cell]:
        return {
            policy.name: _call_sync(policy.compute_log_prob, sample.context, sample.response)
            for policy in policies
        }

    return call


@final
@attrs.frozen(kw_only=True)
class Caller:
    """How to call one policy: its blocking call, its awaitable call, or both (and its
    awaitable call on many cells, if it offers one)."""

    name: str
    sync: SyncCall | None
    async_: AsyncCall | None
    batch: BatchCall | None = None

    @classmethod
    def of(cls, policy: AnyPolicy) -> Caller:
        """The calls ``policy`` offers."""
        return cls(
            name=policy.name,
            sync=policy.compute_log_prob if isinstance(policy, Policy) else None,
            async_=policy.compute_log_prob_async if isinstance(policy, AsyncPolicy) else None,
            batch=policy.compute_log_probs_async if isinstance(policy, BatchAsyncPolicy) else None,
        )


@final
@attrs.frozen(kw_only=True)
class Grid:
    """Samples x policies, flattened to cells in row-major order."""

    samples: tuple[Sample, ...]
    callers: tuple[Caller, ...]
    on_cell: CellCallback | None
    known: Mapping[tuple[str, str], LogProbResult]

    @property
    def size(self) -> int:
        """The number of cells."""
        return len(self.samples) * len(self.callers)

    def start(self) -> tuple[list[Cell | None], Iterator[int]]:
        """Cells filled with the known results, and the indices still to compute."""
        cells: list[Cell | None] = [None] * self.size
        if not self.known:
            return cells, iter(range(self.size))
        pending = []
        for index in range(self.size):
            _, sample, caller = self.cell(index)
            result = self.known.get((sample.sample_id, caller.name))
            if result is None:
                pending.append(index)
            else:
                cells[index] = (result, 0)
        return cells, iter(pending)

    def cell(self, index: int) -> tuple[int, Sample, Caller]:
        """The sample index, sample and caller of cell ``index``."""
        sample_index, policy_index = divmod(index, len(self.callers))
        return sample_index, self.samples[sample_index], self.callers[policy_index]

    def report(self, sample_index: int, sample: Sample, caller: Caller, cell: Cell) -> None:
        """Tell ``on_cell`` that a cell completed."""
        if self.on_cell is not None:
            self.on_cell(
                CellOutcome(
                    sample_index=sample_index,
                    sample_id=sample.sample_id,
                    policy=caller.name,
                    result=cell[0],
                    retries=cell[1],
                )
            )

    def results(self, cells: Sequence[Cell], base_policy_name: str) -> tuple[SampleResult, ...]:
        """Each sample's result, through the pure per-sample pipeline."""
        width = len(self.callers)
        return tuple(
            sample_result(
                sample,
                {caller.name: cells[row * width + column] for column, caller in enumerate(self.callers)},
                base_policy_name,
            )
            for row, sample in enumerate(self.samples)
        )


def run_in_threads(grid: Grid, workers: int) -> list[Cell]:
    """Compute the grid's pending cells on up to ``workers`` threads (1: in order)."""
    cells, indices = grid.start()
    lock = threading.Lock()

    def next_index() -> int | None:
        with lock:
            return next(indices, None)

    def work() -> None:
        while (index := next_index()) is not None:
            sample_index, sample, caller = grid.cell(index)
            assert caller.sync is not None, "the thread interpreter runs blocking policies only"
            cells[index] = cell = _call_sync(caller.sync, sample.context, sample.response)
            grid.report(sample_index, sample, caller, cell)

    if workers <= 1 or grid.size <= 1:
        work()
    else:
        threads = [threading.Thread(target=work, daemon=True) for _ in range(min(workers, grid.size))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return _all_filled(cells)


async def run_in_tasks(grid: Grid, workers: int) -> list[Cell]:
    """Compute the grid's pending cells with up to ``workers`` asyncio tasks (up to
    ``workers`` cells in flight, in chunks when every policy takes many cells per call)."""
    if all(caller.batch is not None for caller in grid.callers):
        return await run_in_chunks(grid, workers)
    cells, indices = grid.start()
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=workers) as blocking_pool:

        async def work() -> None:
            # Each worker runs in its own task (``gather``), so it counts its
            # retries once for all its cells: no context change per cell.
            retries = count_retries_in_task()
            samples, callers, width = grid.samples, grid.callers, len(grid.callers)
            # ``next`` on a shared iterator cannot interleave: no await inside it.
            for index in indices:
                sample_index, policy_index = divmod(index, width)  # ``grid.cell``, inlined
                sample, caller = samples[sample_index], callers[policy_index]
                call = caller.async_
                if call is not None:
                    retries[0] = 0
                    try:
                        result = await call(sample.context, sample.response)
                    except Exception as error:  # a crash becomes PolicyCrashed, never a value
                        result = Failure(crashed(error))
                    cell: Cell = (result, retries[0])
                else:
                    assert caller.sync is not None, "every policy offers at least one convention"
                    cell = await loop.run_in_executor(
                        blocking_pool, _call_sync, caller.sync, sample.context, sample.response
                    )
                cells[index] = cell
                if grid.on_cell is not None:
                    grid.report(sample_index, sample, caller, cell)

        await asyncio.gather(*(work() for _ in range(max(1, min(workers, grid.size)))))
    return _all_filled(cells)


def chunk_size(workers: int) -> int:
    """Cells per call for ``workers`` cells in flight: several chunks per policy in flight, and
    at most ``score``'s default batch size, so that a chunk of the HTTP backend is one request,
    sent by the worker's own coroutine (``benchmarks/bench_http.py``: with chunks of 32, four
    requests each in a task of its own, our client's CPU per cell was ~15% higher)."""
    return max(1, min(8, workers // 8))


def _chunks(grid: Grid, pending: Iterator[int], size: int) -> Iterator[tuple[Caller, list[int]]]:
    """The pending cells as chunks of one policy's cells, policies taking turns, in sample order."""
    width = len(grid.callers)
    columns: list[list[int]] = [[] for _ in range(width)]
    for index in pending:
        columns[index % width].append(index)
    longest = max(map(len, columns), default=0)
    for start in range(0, longest, size):
        for caller, column in zip(grid.callers, columns, strict=True):
            if start < len(column):
                yield caller, column[start : start + size]


async def run_in_chunks(grid: Grid, workers: int) -> list[Cell]:
    """Compute the pending cells of batch-capable policies, a chunk of cells per call.

    At most ``workers`` cells are in flight (``workers // chunk`` calls); a call
    that raises makes each of its cells ``PolicyCrashed``; each cell is
    reported to ``on_cell``, with its own retries, when its chunk completes.
    """
    cells, pending = grid.start()
    size = chunk_size(workers)
    jobs = _chunks(grid, pending, size)
    samples, width = grid.samples, len(grid.callers)

    async def work() -> None:
        # Retries a combinator cannot place on a cell stay in this worker's own task.
        count_retries_in_task()
        for caller, indices in jobs:
            call = caller.batch
            assert call is not None, "only batch-capable policies are chunked"
            pairs = [(samples[i // width].context, samples[i // width].response) for i in indices]
            retries = count_chunk_retries(len(pairs))  # this worker's own task: its count is its own
            try:
                results = await call(pairs)
                if len(results) != len(indices):
                    raise RuntimeError(f"{len(results)} results for {len(indices)} cells")
            except Exception as error:  # a crash becomes PolicyCrashed, never a value
                results = [Failure(crashed(error))] * len(indices)
            for index, result, retried in zip(indices, results, retries, strict=True):
                cells[index] = cell = (result, retried)
                if grid.on_cell is not None:
                    grid.report(index // width, samples[index // width], caller, cell)

    tasks = max(1, min(workers // size, grid.size))
    await asyncio.gather(*(work() for _ in range(tasks)))
    return _all_filled(cells)


def _all_filled(cells: list[Cell | None]) -> list[Cell]:
    filled = [cell for cell in cells if cell is not None]
    if len(filled) != len(cells):
        raise RuntimeError(f"interpreter lost {len(cells) - len(filled)} cells; this is a cje-fp bug")
    return filled
