"""A run stops early, with a reason, on a fatal backend (and only then); the output stays duplicate-free
and a later run resumes it to exactly what a clean run gives. Against the fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from returns.result import Failure, Success

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.errors import Timeout
from cje_fp.policy import BatchAsyncPolicy, BatchFunctionPolicy, LogProbResult
from cje_fp.scoring import BackendFatal, score_file
from cje_fp.scoring._config import RetrySettings
from cje_fp.scoring._stopping import RunStop, guarded, stoppable
from cje_fp.testing import FakeServer, FakeServerConfig, fault_marker
from tests.helpers.results import error_of, value_of
from tests.helpers.scoring import write_rows


def _config(folder: Path, base_url: str, *, models: tuple[str, str] = ("m", "n"), extra: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{base_url}"\ntimeout = 2\nbatch_size = 1\n{extra}'
        "[retry]\nmax_attempts = 2\ndeadline = 4\n[run]\nmax_concurrency = 4\n"
        f'[policies.base]\nmodel = "{models[0]}"\n[policies.t]\nmodel = "{models[1]}"\n'
    )
    return path


def _data(folder: Path, n_rows: int, marker: str = "") -> Path:
    rows = [{"prompt": f"Question {i}?", "response": f"Answer {i}.{marker}", "prompt_id": f"q{i}"} for i in range(n_rows)]
    return write_rows(folder / "data.jsonl", rows)


def _ids(path: Path) -> list[str]:
    return [json.loads(line)["prompt_id"] for line in path.read_text().splitlines()] if path.exists() else []


def _no_duplicates(path: Path) -> list[str]:
    ids = _ids(path)
    assert not [row_id for row_id, count in Counter(ids).items() if count > 1], ids
    return ids


def test_a_policy_whose_model_is_missing_stops_the_run_and_reruns_append_nothing(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=("m",))) as server:
        config, data = _config(tmp_path, server.base_url), _data(tmp_path, 50)
        out = tmp_path / "out.jsonl"
        for _ in range(3):
            fatal = error_of(score_file(config, data, out))
            assert isinstance(fatal, BackendFatal) and (fatal.policy, fatal.cause) == ("t", "model_not_found")
            assert "refuses us (model_not_found: POST /v1/completions answered 404)" in fatal.describe()
            assert str(out) in fatal.describe()
            assert _no_duplicates(out) == []  # every row had t's failure: none stands
        _config(tmp_path, server.base_url, models=("m", "m"))
        value_of(score_file(config, data, out))
        clean = tmp_path / "clean.jsonl"
        value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes()


def test_every_request_a_400_stops_after_a_bounded_number_of_cells(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=("m", "n"))) as server:
        config, data = _config(tmp_path, server.base_url), _data(tmp_path, 200, fault_marker("bad_request"))
        fatal = error_of(score_file(config, data, tmp_path / "out.jsonl"))
        assert isinstance(fatal, BackendFatal) and fatal.cause == "bad_request"
        assert "failed 10 cells in a row (bad_request)" in fatal.describe()
        assert server.stats().requests < 60  # of 400 cells: the first row, then a streak plus those in flight


def test_every_request_hanging_stops_after_a_bounded_number_of_cells(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=("m", "n"), hang_seconds=5.0)) as server:
        config = _config(tmp_path, server.base_url, extra="timeout = 0.2\n")
        config.write_text(config.read_text().replace("timeout = 2\n", ""))
        data = _data(tmp_path, 100, fault_marker("hang"))
        fatal = error_of(score_file(config, data, tmp_path / "out.jsonl"))
        assert isinstance(fatal, BackendFatal) and fatal.cause == "timeout"
        assert server.stats().requests < 80  # of 200 cells, 2 attempts each


def test_an_unreachable_backend_stops_a_run_too_small_for_a_streak(tmp_path: Path) -> None:
    with FakeServer() as server:
        base_url = server.base_url  # a port that nothing listens on once the server stopped
    config, data = _config(tmp_path, base_url), _data(tmp_path, 3)
    fatal = error_of(score_file(config, data, tmp_path / "out.jsonl"))
    assert isinstance(fatal, BackendFatal) and fatal.cause == "connection_failed"
    assert "could not be reached" in fatal.describe() and "check base_url" in fatal.describe()


def test_a_server_killed_mid_run_stops_it_and_a_later_run_resumes_to_a_clean_result(tmp_path: Path) -> None:
    first = FakeServer(FakeServerConfig(models=("m", "n"), latency=0.02)).start()
    port = first.port
    config, data = _config(tmp_path, first.base_url), _data(tmp_path, 120)
    out = tmp_path / "out.jsonl"
    killer = threading.Timer(0.8, first.stop)
    killer.start()
    try:
        fatal = error_of(score_file(config, data, out))
    finally:
        killer.join()
    assert isinstance(fatal, BackendFatal) and fatal.cause == "connection_failed"
    stopped_at = _no_duplicates(out)
    assert 0 < len(stopped_at) < 120
    with FakeServer(FakeServerConfig(models=("m", "n")), port=port) as second:
        # without the endpoint probe: its requests are not cells
        resumed = value_of(score_file(config, data, out, probe=False))
        assert resumed.skipped == 2 * len(stopped_at) and resumed.failed == {}
        clean = tmp_path / "clean.jsonl"
        value_of(score_file(config, data, clean, probe=False))
        assert second.stats().requests == 2 * (120 - len(stopped_at)) + 240
    assert out.read_bytes() == clean.read_bytes()


@pytest.mark.parametrize("marker", ["", fault_marker("context_length")])
def test_a_batch_rejected_by_a_one_prompt_server_and_failures_about_rows_are_not_fatal(tmp_path: Path, marker: str) -> None:
    with FakeServer(FakeServerConfig(models=("m", "n"), single_prompt=True)) as server:
        config = _config(tmp_path, server.base_url)
        config.write_text(config.read_text().replace("batch_size = 1", "batch_size = 4"))
        summary = value_of(score_file(config, _data(tmp_path, 30, marker), tmp_path / "out.jsonl"))
        assert summary.computed == 60
        assert summary.failed == ({} if not marker else {("base", "token_limit_exceeded"): 30, ("t", "token_limit_exceeded"): 30})
        assert server.stats().statuses.get(500, 0) >= 1  # batches were sent and rejected


def test_a_stopped_run_sends_no_chunk_and_a_running_one_keeps_the_call_on_many_cells() -> None:
    sent: list[int] = []

    async def call_batch(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        sent.append(len(pairs))
        return [Success(-1.0)] * len(pairs)

    async def call_async(context: str, response: str) -> LogProbResult:
        return Success(-1.0)

    stop = RunStop()
    policy = stoppable(BatchFunctionPolicy(name="p", call_async=call_async, call_batch=call_batch), stop)
    assert isinstance(policy, BatchAsyncPolicy)
    pairs = [("q", "a"), ("q", "b")]
    assert asyncio.run(policy.compute_log_probs_async(pairs)) == [Success(-1.0)] * 2
    stop.set()
    stopped = asyncio.run(policy.compute_log_probs_async(pairs))
    assert sent == [2] and len(stopped) == 2
    assert all("the run was stopped" in error_of(result).describe() for result in stopped)


def test_score_hands_the_http_backend_chunks_of_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunks: list[int] = []
    many_cells = OpenAICompatiblePolicy.compute_log_probs_async

    async def counted(self: OpenAICompatiblePolicy, pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        chunks.append(len(pairs))
        return await many_cells(self, pairs)

    monkeypatch.setattr(OpenAICompatiblePolicy, "compute_log_probs_async", counted)
    with FakeServer(FakeServerConfig(models=("m", "n"))) as server:
        config = _config(tmp_path, server.base_url, extra="").read_text().replace("max_concurrency = 4", "max_concurrency = 64")
        (tmp_path / "config.toml").write_text(config)
        summary = value_of(score_file(tmp_path / "config.toml", _data(tmp_path, 40), tmp_path / "out.jsonl"))
    assert summary.succeeded == summary.computed == 80
    # the first row alone, then the other 39 rows in chunks of up to 8 cells per policy
    assert sum(chunks) >= 78 and max(chunks) == 8


def test_a_run_stopped_during_a_chunk_retries_none_of_its_cells() -> None:
    stop = RunStop()
    sent: list[int] = []

    async def call_batch(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        sent.append(len(pairs))
        stop.set()  # another policy's cell stopped the run meanwhile
        return [Failure(Timeout())] * len(pairs)

    async def call_async(context: str, response: str) -> LogProbResult:
        return (await call_batch([(context, response)]))[0]

    (policy,) = guarded([BatchFunctionPolicy(name="p", call_async=call_async, call_batch=call_batch)], RetrySettings(), stop)
    assert isinstance(policy, BatchAsyncPolicy)
    results = asyncio.run(policy.compute_log_probs_async([("q", "a"), ("q", "b")]))
    assert sent == [2]  # the first attempt only: no retry is sent once the run is stopped
    assert all("the run was stopped" in error_of(result).describe() for result in results)
