"""``OpenAICompatiblePolicy.compute_log_probs_async`` (many cells per call) against the fake
server on 127.0.0.1: the same result per cell as one call per cell, batched into requests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.errors._log_prob import InvalidInput, InvalidLogProb, TokenBoundaryError
from cje_fp.policy._protocol import BatchAsyncPolicy, LogProbResult
from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob, fault_marker
from tests.conftest import error_of, value_of


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=("m",))) as running:
        yield running


def _policy(server: FakeServer, **options: object) -> OpenAICompatiblePolicy:
    settings: dict[str, object] = {"name": "p", "model": "m", "timeout": 5.0, **options}
    return OpenAICompatiblePolicy(base_url=server.base_url, **settings)  # type: ignore[arg-type]  # test helper forwards keywords


def _chunk(policy: OpenAICompatiblePolicy, pairs: list[tuple[str, str]]) -> list[LogProbResult]:
    return asyncio.run(policy.compute_log_probs_async(pairs))


def _one_by_one(policy: OpenAICompatiblePolicy, pairs: list[tuple[str, str]]) -> list[LogProbResult]:
    async def run() -> list[LogProbResult]:
        return [await policy.compute_log_prob_async(context, response) for context, response in pairs]

    return asyncio.run(run())


@pytest.mark.parametrize("batch_size", [1, 4])
def test_a_chunk_gives_each_cell_what_one_call_gives(server: FakeServer, batch_size: int) -> None:
    pairs = [(f"Question {i}:", " yes" * (i % 3 + 1)) for i in range(10)]
    pairs[2] = ("Q2" + fault_marker("nan") + ":", " A")
    pairs[5] = ("", " A")
    with _policy(server, batch_size=batch_size) as policy:
        assert isinstance(policy, BatchAsyncPolicy)
        chunked = _chunk(policy, pairs)
        requests = server.stats().requests
        assert list(map(repr, chunked)) == list(map(repr, _one_by_one(policy, pairs)))  # nan != nan
    assert isinstance(error_of(chunked[2]), InvalidLogProb) and isinstance(error_of(chunked[5]), InvalidInput)
    assert [value_of(chunked[i]) for i in (0, 9)] == [expected_log_prob(*pairs[i], model="m") for i in (0, 9)]
    assert requests == (9 if batch_size == 1 else 3)  # the empty input is never sent


def test_a_chunk_takes_the_two_request_fallback_per_cell(server: FakeServer) -> None:
    pairs = [("Ctx " + fault_marker("bpe_tokens") + ":", " some answer"), ("Hello wor", "ld"), ("Q:", " A")]
    with _policy(server, batch_size=4, two_request_fallback=True) as policy:
        chunked = _chunk(policy, pairs)
        assert chunked == _one_by_one(policy, pairs)
    assert value_of(chunked[0]) == pytest.approx(expected_log_prob(*pairs[0], model="m"), abs=1e-12)
    assert error_of(chunked[1]) == TokenBoundaryError(reason="prefix_mismatch")
    assert value_of(chunked[2]) == expected_log_prob(*pairs[2], model="m")
