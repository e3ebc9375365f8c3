"""The asyncio interpreter's chunked path: policies that take many cells per call get
chunks of cells, with the same results, reports and crash handling as one call per cell."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import attrs
import pytest
from returns.result import Failure, Success

from cje_fp.errors._log_prob import PolicyCrashed, Timeout
from cje_fp.policy import retrying
from cje_fp.policy._protocol import AsyncPolicy, BatchAsyncPolicy, LogProbResult, Policy
from cje_fp.scoring import MultiTargetSampler
from cje_fp.scoring._interpreters import chunk_size
from tests.conftest import error_of
from tests.helpers.tabular import SAMPLES, TABLES, tabular


@attrs.define(eq=False)
class ChunkedTable:
    """A tabular policy offering the per-cell and the many-cell call, recording each chunk."""

    name: str
    crash_on: tuple[str, str] | None = None
    short_on: tuple[str, str] | None = None
    chunks: list[int] = attrs.Factory(list)
    in_flight: list[int] = attrs.Factory(lambda: [0, 0])  # cells now, peak (may be shared)

    def _one(self, context: str, response: str) -> LogProbResult:
        value = TABLES[self.name][context].get(response)
        return Failure(Timeout()) if value is None else Success(value)

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        return self._one(context, response)

    async def compute_log_probs_async(self, pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        self.chunks.append(len(pairs))
        self.in_flight[0] += len(pairs)
        self.in_flight[1] = max(self.in_flight)
        await asyncio.sleep(0.001)
        self.in_flight[0] -= len(pairs)
        if self.crash_on in pairs:
            raise RuntimeError("backend bug")
        results = [self._one(context, response) for context, response in pairs]
        return results[:-1] if self.short_on in pairs else results


def _sampler(policies: Sequence[Policy | AsyncPolicy], workers: int) -> MultiTargetSampler:
    return MultiTargetSampler(policies=policies, base_policy_name="base", max_concurrency=workers)


@pytest.mark.parametrize("workers", [1, 16, 64])
def test_chunked_policies_give_what_per_cell_calls_give(workers: int) -> None:
    in_flight = [0, 0]
    chunked = [ChunkedTable(name=name, in_flight=in_flight) for name in TABLES]
    assert all(isinstance(policy, BatchAsyncPolicy) for policy in chunked)
    reported: list[tuple[str, str]] = []
    batch = _sampler(chunked, workers).process_batch(
        SAMPLES, on_cell=lambda outcome: reported.append((outcome.sample_id, outcome.policy))
    )
    per_cell = _sampler([tabular(name) for name in TABLES], workers).process_batch(SAMPLES)
    assert batch.results == per_cell.results
    assert sorted(reported) == sorted((s.sample_id, name) for s in SAMPLES for name in TABLES)
    size = chunk_size(workers)
    for policy in chunked:
        assert sum(policy.chunks) == len(SAMPLES) and max(policy.chunks) <= size
        assert len(policy.chunks) == -(-len(SAMPLES) // size)
    assert in_flight[1] <= workers


def test_a_crashing_or_short_chunk_fails_only_its_own_cells_as_crashes() -> None:
    crashing = ChunkedTable(name="t1", crash_on=(SAMPLES[0].context, SAMPLES[0].response))
    short = ChunkedTable(name="t2", short_on=(SAMPLES[0].context, SAMPLES[0].response))
    policies = [ChunkedTable(name="base"), crashing, short]
    batch = _sampler(policies, 16).process_batch(SAMPLES)  # chunks of 2 cells
    for index, result in enumerate(batch.results):
        for name in ("t1", "t2"):
            if index < 2:
                assert isinstance(error_of(result.log_probs[name]), PolicyCrashed)
            else:
                assert result.log_probs[name] == Success(TABLES[name][SAMPLES[index].context][SAMPLES[index].response])
    assert "backend bug" in error_of(batch.results[0].log_probs["t1"]).describe()


def test_known_cells_are_not_sent_in_chunks() -> None:
    policies = [ChunkedTable(name="base"), ChunkedTable(name="t1")]
    known: dict[tuple[str, str], LogProbResult] = {(s.sample_id, "t1"): Success(-1.0) for s in SAMPLES[:5]}
    batch = _sampler(policies, 64).process_batch(SAMPLES, known=known)
    assert policies[0].chunks == [8, 4] and policies[1].chunks == [len(SAMPLES) - 5]  # chunks of 8
    assert [r.log_probs["t1"] for r in batch.results[:5]] == [Success(-1.0)] * 5


def test_a_policy_without_the_chunked_call_keeps_every_policy_per_cell() -> None:
    chunked = ChunkedTable(name="t1")
    batch = _sampler([tabular("base"), chunked], 64).process_batch(SAMPLES)
    assert chunked.chunks == [] and batch.n_complete == len(SAMPLES)


@attrs.define(eq=False)
class Flaky:
    """A tabular policy whose cells of samples with an odd index time out ``failures`` times first."""

    name: str
    failures: int
    calls: Counter[tuple[str, str]] = attrs.Factory(Counter)

    def _one(self, context: str, response: str) -> LogProbResult:
        self.calls[(context, response)] += 1
        index = next(i for i, s in enumerate(SAMPLES) if (s.context, s.response) == (context, response))
        if index % 2 and self.calls[(context, response)] <= self.failures:
            return Failure(Timeout())
        return Success(TABLES[self.name][context][response])

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        return self._one(context, response)


@attrs.define(eq=False)
class ChunkedFlaky:
    """``Flaky`` that also takes many cells per call."""

    flaky: Flaky

    @property
    def name(self) -> str:
        return self.flaky.name

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        return self.flaky._one(context, response)

    async def compute_log_probs_async(self, pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        await asyncio.sleep(0)
        return [self.flaky._one(context, response) for context, response in pairs]


@pytest.mark.parametrize("failures", [1, 2, 5])
def test_retrying_chunked_policies_report_each_cells_own_retries(failures: int) -> None:
    def policies(chunked: bool) -> list[AsyncPolicy]:
        made: list[AsyncPolicy] = []
        for failing, name in enumerate(TABLES):
            flaky = Flaky(name=name, failures=failures * (failing % 2))
            made.append(retrying(ChunkedFlaky(flaky) if chunked else flaky, max_attempts=4, sleep=lambda _: None))
        return made

    chunked_policies = policies(chunked=True)
    assert all(isinstance(policy, BatchAsyncPolicy) for policy in chunked_policies)
    chunked = _sampler(chunked_policies, 64).process_batch(SAMPLES)
    per_cell = _sampler(policies(chunked=False), 64).process_batch(SAMPLES)
    assert chunked.results == per_cell.results
    assert chunked.retries_used == per_cell.retries_used == 2 * (len(SAMPLES) // 2) * min(failures, 3)
    assert any(sum(result.retries.values()) for result in chunked.results)
