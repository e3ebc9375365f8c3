"""``cje-fp score`` against the fake server on 127.0.0.1: resumable, nothing lost or duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob, fault_marker
from tests.test_cli import ROOT, cje_fp

KEY_ENV = "CJE_FP_TEST_KEY"
CANARY = "sk-canary-" + "".join(random.Random(7).choices("abcdefghijkmnopqrstuvwxyz0123456789", k=24))
MODELS = ("model-a", "model-b", "model-c")
N_ROWS = 90
FAILING_ROWS = {4, 33, 61}  # their responses ask the server for a 400 context-length error


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=MODELS, api_key=CANARY, latency=0.03)) as running:
        yield running


def _rows() -> list[dict[str, Any]]:
    rows = []
    for index in range(N_ROWS):
        response = f"Answer number {index}, with some words."
        if index in FAILING_ROWS:
            response += fault_marker("context_length")
        rows.append({"prompt": f"Question {index}?", "response": response, "judge_score": 0.5, "prompt_id": f"q{index}"})
    return rows


def _write_inputs(folder: Path, server: FakeServer, *, models: tuple[str, ...] = MODELS) -> tuple[Path, Path]:
    data = folder / "data.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in _rows()))
    config = folder / "config.toml"
    policies = "".join(f'[policies.{name}]\nmodel = "{model}"\n' for name, model in zip(("base", "t1", "t2"), models))
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\napi_key_env = "{KEY_ENV}"\n'
        f'template = "chatml"\nbatch_size = 1\n[retry]\nmax_attempts = 3\ndeadline = 20\n'
        f"[run]\nmax_concurrency = 6\n{policies}"
    )
    return config, data


def _environment(key: str | None = CANARY) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name != KEY_ENV}
    if key is not None:
        environment[KEY_ENV] = key
    return environment


def _score(*arguments: str | Path, key: str | None = CANARY) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cje_fp.cli", "score", *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env=_environment(key),
    )


def _cells(path: Path) -> dict[tuple[str, str], tuple[str, float | None]]:
    cells = {}
    for row in map(json.loads, path.read_text().splitlines()):
        values = {"base": row["base_policy_logprob"], **row["target_policy_logprobs"]}
        for policy, status in row["logprob_status"].items():
            cells[(row["prompt_id"], policy)] = (status, values[policy])
    return cells


def _row_ids(path: Path) -> list[str]:
    return [json.loads(line)["prompt_id"] for line in path.read_text().splitlines() if line.strip()]


def test_scores_every_cell_exactly(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    result = _score(config, data, "--out", out)
    assert result.returncode == 0, result.stderr
    assert _row_ids(out) == [f"q{index}" for index in range(N_ROWS)]
    cells = _cells(out)
    assert len(cells) == N_ROWS * 3
    for (row_id, policy), (status, value) in cells.items():
        index = int(row_id[1:])
        if index in FAILING_ROWS:
            assert (status, value) == ("token_limit_exceeded", None)
        else:
            model = MODELS[("base", "t1", "t2").index(policy)]
            rendered_context = f"<|im_start|>user\nQuestion {index}?<|im_end|>\n<|im_start|>assistant\n"
            expected = expected_log_prob(rendered_context, f"Answer number {index}, with some words.<|im_end|>", model=model)
            assert status == "ok" and value == pytest.approx(expected)
    assert "base/token_limit_exceeded=3, t1/token_limit_exceeded=3, t2/token_limit_exceeded=3" in result.stdout
    assert CANARY not in out.read_text() + result.stdout + result.stderr


def test_kill_9_and_resume_gives_the_same_cells_without_duplicates(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    reference = tmp_path / "reference.jsonl"
    assert _score(config, data, "--out", reference).returncode == 0

    out = tmp_path / "interrupted.jsonl"
    rng = random.Random(2024)
    interrupted_at = []
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out", str(out)],
            cwd=ROOT,
            env=_environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.2, 2.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        interrupted_at.append(len(_row_ids(out)) if out.exists() else 0)
    assert any(0 < rows < N_ROWS for rows in interrupted_at), f"no kill landed mid-run: {interrupted_at}"

    done_before = {cell for cell, (status, _) in _cells(out).items()} if out.exists() else set()
    server.reset_stats()
    final = _score(config, data, "--out", out)
    assert final.returncode == 0, final.stderr
    # nothing recomputed: exactly the cells missing after the kills were requested
    assert server.stats().prompts == N_ROWS * 3 - len(done_before)
    assert _cells(out) == _cells(reference)
    ids = _row_ids(out)
    assert ids == [f"q{index}" for index in range(N_ROWS)] and len(set(ids)) == len(ids)


def test_retry_failed_recomputes_only_failed_cells(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    assert _score(config, data, "--out", out).returncode == 0
    before = _cells(out)
    server.reset_stats()
    again = _score(config, data, "--out", out)
    assert again.returncode == 0 and server.stats().prompts == 0
    assert "270 cells already done, 0 to compute" in again.stdout
    retried = _score(config, data, "--out", out, "--retry-failed")
    assert retried.returncode == 0
    assert server.stats().prompts == len(FAILING_ROWS) * 3
    assert _cells(out) == before and len(_row_ids(out)) == N_ROWS


def test_a_changed_model_is_rescored_for_that_policy_only(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    assert _score(config, data, "--out", out).returncode == 0
    _write_inputs(tmp_path, server, models=("model-a", "model-b", "model-a"))
    server.reset_stats()
    assert _score(config, data, "--out", out).returncode == 0
    assert server.stats().prompts == N_ROWS  # only t2's cells
    row = json.loads(out.read_text().splitlines()[0])
    assert row["logprob_source"]["t2"]["model"] == "model-a"
    assert row["target_policy_logprobs"]["t2"] == pytest.approx(row["base_policy_logprob"])


@pytest.mark.parametrize(
    ("key", "message"),
    [(None, f"the API key environment variable is not set: {KEY_ENV}"), ("sk-wrong-key-000000", "unauthorized")],
)
def test_missing_or_wrong_key_exits_3_without_leaking_it(
    tmp_path: Path, server: FakeServer, key: str | None, message: str
) -> None:
    config, data = _write_inputs(tmp_path, server)
    result = _score(config, data, "--out", tmp_path / "scored.jsonl", "--verbose", key=key)
    assert result.returncode == 3
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "sk-wrong-key-000000" not in result.stderr + result.stdout


def test_unreachable_backend_exits_3(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    config.write_text(config.read_text().replace(server.base_url, "http://127.0.0.1:9/v1").replace("deadline = 20", "deadline = 2"))
    result = _score(config, data, "--out", tmp_path / "scored.jsonl")
    assert result.returncode == 3, result.stderr
    assert "unreachable" in result.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace('base_policy = "base"', 'base_policy = "nope"'), "base_policy must name one of"),
        (lambda text: text + "colour = 1\n", "unknown key 'colour'"),
        (lambda text: text.replace("batch_size = 1", "batch_size = 0"), "batch_size"),
        (lambda text: text.replace("[retry]", "[retry]\nsleep_forever = true"), "unknown key 'sleep_forever'"),
        (lambda text: text.replace('template = "chatml"', 'template = "gpt9"'), "unknown chat template"),
        (lambda text: "not toml [", "not valid TOML"),
    ],
)
def test_config_errors_exit_2_naming_the_key(tmp_path: Path, server: FakeServer, edit: Any, message: str) -> None:
    config, data = _write_inputs(tmp_path, server)
    config.write_text(edit(config.read_text()))
    result = _score(config, data, "--out", tmp_path / "scored.jsonl")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_unscoreable_rows_exit_1_by_line(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    lines = data.read_text().splitlines()
    lines[2] = json.dumps({"prompt": "only a prompt"})
    lines[5] = json.dumps({"prompt": "p", "response": "r", "prompt_id": "q0"})
    data.write_text("\n".join(lines) + "\n")
    result = _score(config, data, "--out", tmp_path / "scored.jsonl")
    assert result.returncode == 1
    assert "line 3: response: missing or not a string" in result.stderr
    assert "line 6: prompt_id: 'q0' already on line 1" in result.stderr


def test_scored_output_feeds_estimate(tmp_path: Path, server: FakeServer) -> None:
    config, data = _write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    assert _score(config, data, "--out", out).returncode == 0
    validated = cje_fp("validate", out)
    assert validated.returncode == 0, validated.stdout
    failed = len(FAILING_ROWS)
    # the failure kind survives into the estimation layer as the reason rows were excluded
    assert (
        f"t1: {N_ROWS - failed} usable rows; excluded: base_log_prob:token_limit_exceeded={failed}" in validated.stdout
    )
