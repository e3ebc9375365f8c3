"""``MultiTargetSampler``: log probs and log weights for samples x policies.

Each sample's cells go through the pure pipeline of ``cje_fp.scoring._steps``
(``checked_cells``, ``scored_sample``, ``weighed_against``, composed with
``flow`` in ``_interpreters.sample_result``). Calling the policies is the only
effect, run at the edge by an interpreter: in order, on a bounded pool of
threads (blocking policies), or by bounded asyncio workers (policies that can
await). All give the same results in input order. ``scored_future`` is the
async path as a value: a ``FutureResult`` a user can ``flow`` into their own
pipeline and await once.

>>> import math
>>> from cje_fp.backends import TabularPolicy
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
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Never, final

import attrs
from returns.future import FutureResult
from returns.result import Success

from cje_fp.policy import AsyncPolicy, LogProbResult, Policy
from cje_fp.scoring._batch import BatchResult, check_identity
from cje_fp.scoring._collections import fewer_collections
from cje_fp.scoring._interpreters import AnyPolicy, Caller, CellCallback, Grid, run_in_tasks, run_in_threads
from cje_fp.scoring._sample import Cell, SampleLike, SampleResult, as_sample


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
        with fewer_collections():
            if blocking and (workers == 1 or not self.uses_asyncio):
                cells = run_in_threads(grid, workers)
            else:
                cells = asyncio.run(run_in_tasks(grid, workers))
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
        with fewer_collections():
            cells = await run_in_tasks(grid, self.max_concurrency)
            return self._batch(grid, cells, self.clock() - started)

    def _grid(
        self,
        samples: Iterable[SampleLike],
        on_cell: CellCallback | None,
        known: Mapping[tuple[str, str], LogProbResult] | None,
    ) -> Grid:
        return Grid(
            samples=tuple(map(as_sample, samples)),
            callers=tuple(map(Caller.of, self.policies)),
            on_cell=on_cell,
            known=known or {},
        )

    def _batch(self, grid: Grid, cells: Sequence[Cell], elapsed: float) -> BatchResult:
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


def scored_future(sampler: MultiTargetSampler) -> Callable[[Iterable[SampleLike]], FutureResult[BatchResult, Never]]:
    """The async scoring step: samples to a ``FutureResult`` of their ``BatchResult``.

    Nothing runs until the future is awaited, inside the caller's event loop.
    A batch never fails as a whole (failed cells are inside it), so the error
    type is ``Never``; widen it with ``alt`` when later steps fail.
    """

    def score(samples: Iterable[SampleLike]) -> FutureResult[BatchResult, Never]:
        return FutureResult(_succeeded(sampler.process_batch_async(tuple(samples))))

    return score


async def _succeeded(batch: Awaitable[BatchResult]) -> Success[BatchResult]:
    return Success(await batch)
