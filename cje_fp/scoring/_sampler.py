"""``MultiTargetSampler``: log probs and log weights for samples x policies.

The per-sample logic is pure: a sample and the ``Result`` of each policy call
become a ``SampleResult`` through a ``flow`` of small steps. Calling the
policies is the only effect, and it is interpreted at the edge: in order, by a
bounded pool of threads (blocking policies) or by a bounded set of asyncio
workers (policies that can await). All give the same results in input order.

>>> import math
>>> from cje_fp.backends._tabular import TabularPolicy
>>> table = {"q": {"a": math.log(0.5), "b": math.log(0.5)}}
>>> sampler = MultiTargetSampler(
...     policies=[
...         TabularPolicy(name="base", table=table),
...         TabularPolicy(name="target", table={"q": {"a": math.log(0.9)}}),
...     ],
...     base_policy_name="base",
... )
>>> batch = sampler.process_batch([("s1", "q", "a"), ("s2", "q", "b")])
>>> batch.results[0].log_weights["target"]
<Success: 0.5877866649021191>
>>> batch.results[1].log_weights["target"].alt(lambda error: error.kind)
<Failure: target_failed>
>>> batch.n_complete, batch.n_partial, batch.n_failed
(1, 0, 1)
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, TypeAlias, assert_never, final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.errors import WeightError, weight_error_reason
from cje_fp.policy import AsyncCall, AsyncPolicy, LogProbResult, Policy, SyncCall
from cje_fp.errors import crashed
from cje_fp.policy import count_retries_in_task, counting_retries
from cje_fp.errors import sealed
from cje_fp.scoring._weights import FloatArray, log_weight

AnyPolicy: TypeAlias = Policy | AsyncPolicy


@final
@attrs.frozen(kw_only=True)
class Sample:
    """One logged (context, response) pair to score, with its id."""

    sample_id: str
    context: str
    response: str


SampleLike: TypeAlias = Sample | tuple[str, str, str]
"""A ``Sample`` or a ``(sample_id, context, response)`` tuple."""


def as_sample(sample: SampleLike) -> Sample:
    """Accept either form of a sample."""
    match sample:
        case Sample():
            return sample
        case (sample_id, context, response):
            return Sample(sample_id=sample_id, context=context, response=response)
        case _:
            assert_never(sample)


@final
@attrs.frozen(kw_only=True)
class CellOutcome:
    """What one policy call on one sample gave, reported as it completes."""

    sample_index: int
    sample_id: str
    policy: str
    result: LogProbResult
    retries: int


SampleStatus: TypeAlias = Literal["complete", "partial", "failed"]


@final
@attrs.frozen(kw_only=True)
class SampleResult:
    """Every policy's log prob and every target's log weight for one sample."""

    sample_id: str
    log_probs: Mapping[str, LogProbResult]
    log_weights: Mapping[str, Result[float, WeightError]]
    retries: Mapping[str, int]

    @property
    def status(self) -> SampleStatus:
        """``complete``: every cell succeeded; ``failed``: no weight exists; else ``partial``."""
        if all(isinstance(result, Success) for result in self.log_probs.values()):
            return "complete"
        if not any(isinstance(weight, Success) for weight in self.log_weights.values()):
            return "failed"
        return "partial"


# The pure per-sample pipeline -------------------------------------------------

Cell: TypeAlias = tuple[LogProbResult, int]
"""A policy call's result and the retries it took."""


def assemble(sample: Sample, cells: Mapping[str, Cell], base_policy_name: str) -> SampleResult:
    """Turn the cell of every policy on ``sample`` into its ``SampleResult``."""
    base = cells[base_policy_name][0]
    return SampleResult(
        sample_id=sample.sample_id,
        log_probs={name: result for name, (result, _) in cells.items()},
        log_weights={
            name: log_weight(base, result)
            for name, (result, _) in cells.items()
            if name != base_policy_name
        },
        retries={name: retries for name, (_, retries) in cells.items()},
    )


# Interpreters: the only place policies are called ---------------------------------


def _call_sync(call: SyncCall, context: str, response: str) -> Cell:
    with counting_retries() as retries:
        try:
            result = call(context, response)
        except Exception as error:  # noqa: BLE001 - a crash becomes PolicyCrashed, never a value
            result = Failure(crashed(error))
    return result, retries[0]


CellCallback: TypeAlias = Callable[[CellOutcome], None]


@final
@attrs.frozen(kw_only=True)
class _Caller:
    """How to call one policy: its blocking call, its awaitable call, or both."""

    name: str
    sync: SyncCall | None
    async_: AsyncCall | None

    @classmethod
    def of(cls, policy: AnyPolicy) -> _Caller:
        return cls(
            name=policy.name,
            sync=policy.compute_log_prob if isinstance(policy, Policy) else None,
            async_=policy.compute_log_prob_async if isinstance(policy, AsyncPolicy) else None,
        )


@final
@attrs.frozen(kw_only=True)
class _Grid:
    """Samples x policies, flattened to cells in row-major order."""

    samples: tuple[Sample, ...]
    callers: tuple[_Caller, ...]
    on_cell: CellCallback | None
    known: Mapping[tuple[str, str], LogProbResult]

    @property
    def size(self) -> int:
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

    def cell(self, index: int) -> tuple[int, Sample, _Caller]:
        sample_index, policy_index = divmod(index, len(self.callers))
        return sample_index, self.samples[sample_index], self.callers[policy_index]

    def report(self, sample_index: int, sample: Sample, caller: _Caller, cell: Cell) -> None:
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

    def results(self, cells: Sequence[Cell], base: str) -> tuple[SampleResult, ...]:
        width = len(self.callers)
        return tuple(
            assemble(
                sample,
                {caller.name: cells[row * width + column] for column, caller in enumerate(self.callers)},
                base,
            )
            for row, sample in enumerate(self.samples)
        )


def _run_in_threads(grid: _Grid, workers: int) -> list[Cell]:
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


async def _run_in_tasks(grid: _Grid, workers: int) -> list[Cell]:
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
                    except Exception as error:  # noqa: BLE001 - a crash becomes PolicyCrashed, never a value
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


def _all_filled(cells: list[Cell | None]) -> list[Cell]:
    filled = [cell for cell in cells if cell is not None]
    if len(filled) != len(cells):
        raise RuntimeError(f"interpreter lost {len(cells) - len(filled)} cells; this is a cje-fp bug")
    return filled


# Reports ------------------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class IdentityCheck:
    """Whether two policies declared identical returned identical log probs."""

    first: str
    second: str
    n_compared: int
    n_mismatched: int
    max_abs_difference: float | None
    tolerance: float

    @property
    def passed(self) -> bool:
        """No compared pair differed by more than ``tolerance``."""
        return self.n_mismatched == 0


def check_identity(
    results: Sequence[SampleResult], first: str, second: str, tolerance: float
) -> IdentityCheck:
    """Compare two policies' log probs on the samples where both succeeded."""
    differences = [
        abs(a - b)
        for result in results
        for a, b in _both_values(result.log_probs[first], result.log_probs[second])
    ]
    return IdentityCheck(
        first=first,
        second=second,
        n_compared=len(differences),
        n_mismatched=sum(difference > tolerance for difference in differences),
        max_abs_difference=max(differences) if differences else None,
        tolerance=tolerance,
    )


def _both_values(first: LogProbResult, second: LogProbResult) -> list[tuple[float, float]]:
    match sealed(first), sealed(second):
        case Success(a), Success(b):
            return [(a, b)]
        case _:
            return []


@final
@attrs.frozen(kw_only=True)
class Exclusion:
    """A sample left out of a weight column, and why."""

    sample_id: str
    reason: str


@final
@attrs.frozen(kw_only=True, eq=False)
class WeightColumn:
    """One target's valid log weights as an array, plus what was left out.

    ``log_weights`` holds only the valid cells, in input order; ``mask`` marks
    them among all samples. A masked cell has no number at all.
    """

    target: str
    log_weights: FloatArray
    mask: np.ndarray[tuple[int], np.dtype[np.bool_]]
    sample_ids: tuple[str, ...]
    excluded: tuple[Exclusion, ...]

    @property
    def excluded_by_reason(self) -> Mapping[str, int]:
        """How many samples each reason excluded."""
        return Counter(exclusion.reason for exclusion in self.excluded)


@final
@attrs.frozen(kw_only=True)
class Accounting:
    """Every cell accounted for: ``succeeded + sum(failed_by_kind) == total``."""

    total: int
    succeeded: int
    failed_by_kind: Mapping[str, int]

    @property
    def balanced(self) -> bool:
        """Whether the identity holds."""
        return self.succeeded + sum(self.failed_by_kind.values()) == self.total


@final
@attrs.frozen(kw_only=True)
class BatchResult:
    """The results of ``process_batch``, in input order, with their accounting."""

    results: tuple[SampleResult, ...]
    policy_names: tuple[str, ...]
    base_policy_name: str
    elapsed_seconds: float
    identity_checks: tuple[IdentityCheck, ...] = ()

    def _count(self, status: SampleStatus) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def n_complete(self) -> int:
        """Samples where every policy succeeded."""
        return self._count("complete")

    @property
    def n_partial(self) -> int:
        """Samples with at least one target weight and at least one failure."""
        return self._count("partial")

    @property
    def n_failed(self) -> int:
        """Samples with no target weight at all."""
        return self._count("failed")

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every policy except the base."""
        return tuple(name for name in self.policy_names if name != self.base_policy_name)

    @property
    def failures_by_policy(self) -> Mapping[str, Mapping[str, int]]:
        """For each policy, how many of its cells failed with each kind."""
        counts: dict[str, Counter[str]] = {name: Counter() for name in self.policy_names}
        for result in self.results:
            for name, cell in result.log_probs.items():
                match sealed(cell):
                    case Failure(error):
                        counts[name][error.kind] += 1
                    case Success(_):
                        pass
        return counts

    @property
    def retries_used(self) -> int:
        """Retries made by ``retrying`` policies during the batch."""
        return sum(sum(result.retries.values()) for result in self.results)

    @property
    def samples_per_second(self) -> float:
        """Throughput over the batch's wall time."""
        return len(self.results) / self.elapsed_seconds if self.elapsed_seconds > 0 else math.inf

    def accounting(self) -> Accounting:
        """Cells in total, succeeded, and failed by kind."""
        failed: Counter[str] = Counter()
        for by_kind in self.failures_by_policy.values():
            failed.update(by_kind)
        succeeded = sum(
            isinstance(cell, Success)
            for result in self.results
            for cell in result.log_probs.values()
        )
        return Accounting(
            total=len(self.results) * len(self.policy_names),
            succeeded=succeeded,
            failed_by_kind=dict(failed),
        )

    def to_arrays(self, target: str) -> WeightColumn:
        """The valid log weights of ``target`` plus the mask and the exclusions."""
        if target not in self.target_names:
            raise ValueError(f"unknown target policy {target!r}; targets: {self.target_names}")
        values: list[float] = []
        kept: list[str] = []
        mask = np.zeros(len(self.results), dtype=np.bool_)
        excluded: list[Exclusion] = []
        for row, result in enumerate(self.results):
            match sealed(result.log_weights[target]):
                case Success(value):
                    values.append(value)
                    kept.append(result.sample_id)
                    mask[row] = True
                case Failure(error):
                    excluded.append(
                        Exclusion(sample_id=result.sample_id, reason=weight_error_reason(error))
                    )
        return WeightColumn(
            target=target,
            log_weights=np.asarray(values, dtype=np.float64),
            mask=mask,
            sample_ids=tuple(kept),
            excluded=tuple(excluded),
        )

    def summary(self) -> str:
        """A few lines for humans: counts, failures by policy and kind, identity checks."""
        lines = [
            f"{len(self.results)} samples x {len(self.policy_names)} policies: "
            f"{self.n_complete} complete, {self.n_partial} partial, {self.n_failed} failed; "
            f"{self.retries_used} retries; {self.elapsed_seconds:.2f}s "
            f"({self.samples_per_second:.1f} samples/s)"
        ]
        for name, by_kind in self.failures_by_policy.items():
            if by_kind:
                kinds = ", ".join(f"{kind}={count}" for kind, count in sorted(by_kind.items()))
                lines.append(f"  {name}: {kinds}")
        for check in self.identity_checks:
            verdict = "identical" if check.passed else f"{check.n_mismatched} mismatched"
            lines.append(
                f"  identity {check.first} == {check.second}: {verdict} of "
                f"{check.n_compared} (max |diff| {check.max_abs_difference})"
            )
        return "\n".join(lines)


# The sampler ---------------------------------------------------------------------


def _policy_tuple(policies: Iterable[AnyPolicy]) -> tuple[AnyPolicy, ...]:
    return tuple(policies)


def _pair_tuple(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(pairs)


def _check_policies(instance: MultiTargetSampler, attribute: object, policies: tuple[AnyPolicy, ...]) -> None:
    names = [policy.name for policy in policies]
    duplicates = sorted(name for name, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ValueError(f"policy names must be unique; repeated: {duplicates}")
    for policy in policies:
        if not isinstance(policy, Policy | AsyncPolicy):
            raise TypeError(f"{policy!r} is neither a Policy nor an AsyncPolicy")


def _check_base(instance: MultiTargetSampler, attribute: object, base: str) -> None:
    names = [policy.name for policy in instance.policies]
    if base not in names:
        raise ValueError(f"base policy {base!r} is not among the policies {names}")
    if len(names) < 2:
        raise ValueError("need the base policy and at least one target policy")


def _check_identical(
    instance: MultiTargetSampler, attribute: object, pairs: tuple[tuple[str, str], ...]
) -> None:
    names = {policy.name for policy in instance.policies}
    for pair in pairs:
        unknown = [name for name in pair if name not in names]
        if unknown:
            raise ValueError(f"identity check names unknown policies {unknown}")


@final
@attrs.frozen(kw_only=True)
class MultiTargetSampler:
    """Scores samples under a base policy and target policies.

    ``max_concurrency`` bounds the calls in flight (1 runs everything in
    order). ``identical`` lists pairs of policies that should agree exactly
    (within ``identity_tolerance``); the batch reports whether they did.
    """

    policies: tuple[AnyPolicy, ...] = attrs.field(converter=_policy_tuple, validator=_check_policies)
    base_policy_name: str = attrs.field(validator=_check_base)
    max_concurrency: int = attrs.field(default=16, validator=attrs.validators.ge(1))
    identical: tuple[tuple[str, str], ...] = attrs.field(
        default=(), converter=_pair_tuple, validator=_check_identical
    )
    identity_tolerance: float = 0.0
    clock: Callable[[], float] = time.perf_counter

    @property
    def uses_asyncio(self) -> bool:
        """Whether any policy can await (then asyncio interprets the batch)."""
        return any(isinstance(policy, AsyncPolicy) for policy in self.policies)

    def process_sample(self, sample: SampleLike) -> SampleResult:
        """Score one sample, calling its policies one after another."""
        return self.process_batch([sample], max_concurrency=1).results[0]

    def process_batch(
        self,
        samples: Iterable[SampleLike],
        *,
        on_cell: CellCallback | None = None,
        max_concurrency: int | None = None,
        known: Mapping[tuple[str, str], LogProbResult] | None = None,
    ) -> BatchResult:
        """Score every sample under every policy.

        ``on_cell`` is called as each computed cell completes (from worker
        threads or tasks). ``known`` maps (sample id, policy name) to results
        from an earlier run: those cells are taken as given, not called again.
        Uses asyncio when a policy can await; call ``process_batch_async``
        from inside a running event loop instead.
        """
        grid = self._grid(samples, on_cell, known)
        workers = max_concurrency or self.max_concurrency
        started = self.clock()
        blocking = all(caller.sync is not None for caller in grid.callers)
        if blocking and (workers == 1 or not self.uses_asyncio):
            cells = _run_in_threads(grid, workers)
        else:
            cells = asyncio.run(_run_in_tasks(grid, workers))
        return self._batch(grid, cells, self.clock() - started)

    async def process_batch_async(
        self,
        samples: Iterable[SampleLike],
        *,
        on_cell: CellCallback | None = None,
        known: Mapping[tuple[str, str], LogProbResult] | None = None,
    ) -> BatchResult:
        """``process_batch`` for callers already inside an event loop."""
        grid = self._grid(samples, on_cell, known)
        started = self.clock()
        cells = await _run_in_tasks(grid, self.max_concurrency)
        return self._batch(grid, cells, self.clock() - started)

    def _grid(
        self,
        samples: Iterable[SampleLike],
        on_cell: CellCallback | None,
        known: Mapping[tuple[str, str], LogProbResult] | None,
    ) -> _Grid:
        return _Grid(
            samples=tuple(map(as_sample, samples)),
            callers=tuple(map(_Caller.of, self.policies)),
            on_cell=on_cell,
            known=known or {},
        )

    def _batch(self, grid: _Grid, cells: Sequence[Cell], elapsed: float) -> BatchResult:
        results = grid.results(cells, self.base_policy_name)
        return BatchResult(
            results=results,
            policy_names=tuple(policy.name for policy in self.policies),
            base_policy_name=self.base_policy_name,
            elapsed_seconds=elapsed,
            identity_checks=tuple(
                check_identity(results, first, second, self.identity_tolerance)
                for first, second in self.identical
            ),
        )
