"""``cje-fp score`` against the fake server on 127.0.0.1: resumable, nothing lost or duplicated."""

from __future__ import annotations

import json
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob
from tests.helpers.cli import run_cli
from tests.helpers.optional import ROOT
from tests.helpers.scoring import (
    CANARY,
    FAILING_ROWS,
    KEY_ENV,
    MODELS,
    N_ROWS,
    environment,
    write_inputs,
    write_rows,
    write_tabular_config,
)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=MODELS, api_key=CANARY, latency=0.03)) as running:
        yield running


def _score(*arguments: str | Path, key: str | None = CANARY) -> subprocess.CompletedProcess[str]:
    return run_cli("score", *arguments, timeout=180, env=environment(key))


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
    config, data = write_inputs(tmp_path, server)
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
    config, data = write_inputs(tmp_path, server)
    reference = tmp_path / "reference.jsonl"
    assert _score(config, data, "--out", reference).returncode == 0

    out = tmp_path / "interrupted.jsonl"
    rng = random.Random(2024)
    interrupted_at = []
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out", str(out)],
            cwd=ROOT,
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.2, 2.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        interrupted_at.append(len(_row_ids(out)) if out.exists() else 0)
    assert any(0 < rows < N_ROWS for rows in interrupted_at), f"no kill landed mid-run: {interrupted_at}"

    done_before = {cell for cell, (status, _) in _cells(out).items()} if out.exists() else set()
    deadline = time.monotonic() + 30
    while server.stats().in_flight and time.monotonic() < deadline:  # a killed client's last request
        time.sleep(0.05)
    server.reset_stats()
    final = _score(config, data, "--out", out, "--no-probe")  # the probe's requests are not cells
    assert final.returncode == 0, final.stderr
    # nothing recomputed: exactly the cells missing after the kills were requested (plus any
    # retry a loaded machine caused, which the summary counts)
    computed = re.search(r"scored (\d+) cells .* (\d+) retries", final.stdout)
    assert computed is not None, final.stdout
    assert int(computed.group(1)) == N_ROWS * 3 - len(done_before)
    assert server.stats().prompts == N_ROWS * 3 - len(done_before) + int(computed.group(2))
    assert _cells(out) == _cells(reference)
    ids = _row_ids(out)
    assert ids == [f"q{index}" for index in range(N_ROWS)] and len(set(ids)) == len(ids)


def test_retry_failed_recomputes_only_failed_cells(tmp_path: Path, server: FakeServer) -> None:
    config, data = write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    assert _score(config, data, "--out", out).returncode == 0
    before = _cells(out)
    server.reset_stats()
    again = _score(config, data, "--out", out, "--no-probe")  # the probe's requests are not cells
    assert again.returncode == 0 and server.stats().prompts == 0
    assert "270 cells already done, 0 to compute" in again.stdout
    retried = _score(config, data, "--out", out, "--retry-failed", "--no-probe")
    assert retried.returncode == 0
    assert server.stats().prompts == len(FAILING_ROWS) * 3
    assert _cells(out) == before and len(_row_ids(out)) == N_ROWS


def test_a_changed_model_is_rescored_for_that_policy_only(tmp_path: Path, server: FakeServer) -> None:
    config, data = write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    assert _score(config, data, "--out", out).returncode == 0
    write_inputs(tmp_path, server, models=("model-a", "model-b", "model-a"))
    server.reset_stats()
    assert _score(config, data, "--out", out, "--no-probe").returncode == 0
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
    config, data = write_inputs(tmp_path, server)
    result = _score(config, data, "--out", tmp_path / "scored.jsonl", "--verbose", key=key)
    assert result.returncode == 3
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "sk-wrong-key-000000" not in result.stderr + result.stdout


def test_unreachable_backend_exits_3(tmp_path: Path, server: FakeServer) -> None:
    config, data = write_inputs(tmp_path, server)
    config.write_text(config.read_text().replace(server.base_url, "http://127.0.0.1:9/v1").replace("deadline = 20", "deadline = 2"))
    result = _score(config, data, "--out", tmp_path / "scored.jsonl")
    assert result.returncode == 3, result.stderr
    assert "unreachable" in result.stderr


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda text: text.replace('base_policy = "base"', 'base_policy = "nope"'), "base_policy must name one of"),
        (lambda text: text + "colour = 1\n", "colour is not a known option"),
        (lambda text: text.replace("batch_size = 1", "batch_size = 0"), "batch_size"),
        (lambda text: text.replace("[retry]", "[retry]\nsleep_forever = true"), "retry.sleep_forever is not a known option"),
        (lambda text: text.replace('template = "chatml"', 'template = "gpt9"'), "unknown chat template"),
        (lambda text: "not toml [", "not valid TOML"),
    ],
)
def test_config_errors_exit_2_naming_the_key(tmp_path: Path, server: FakeServer, edit: Any, message: str) -> None:
    config, data = write_inputs(tmp_path, server)
    config.write_text(edit(config.read_text()))
    result = _score(config, data, "--out", tmp_path / "scored.jsonl")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_unscoreable_rows_exit_1_by_line(tmp_path: Path, server: FakeServer) -> None:
    config, data = write_inputs(tmp_path, server)
    lines = data.read_text().splitlines()
    lines[2] = json.dumps({"prompt": "only a prompt"})
    lines[5] = json.dumps({"prompt": "p", "response": "r", "prompt_id": "q0"})
    data.write_text("\n".join(lines) + "\n")
    result = _score(config, data, "--out", tmp_path / "scored.jsonl")
    assert result.returncode == 1
    assert "line 3: response: missing_field: response is required" in result.stderr
    assert "line 6: prompt_id: duplicate_prompt_id: 'q0' already on line 1" in result.stderr


def test_scored_output_feeds_estimate(tmp_path: Path, server: FakeServer) -> None:
    config, data = write_inputs(tmp_path, server)
    out = tmp_path / "scored.jsonl"
    assert _score(config, data, "--out", out).returncode == 0
    validated = run_cli("validate", out)
    assert validated.returncode == 0, validated.stdout
    failed = len(FAILING_ROWS)
    # the failure kind survives into the estimation layer as the reason rows were excluded
    assert (
        f"t1: {N_ROWS - failed} usable rows; excluded: base_log_prob:token_limit_exceeded={failed}" in validated.stdout
    )


def _tables(shift: float = 0.0) -> dict[str, dict[str, dict[str, float]]]:
    prompts = [f"Question {index}?" for index in range(6)]
    return {
        "base": {prompt: {"yes": -0.5, "no": -1.0} for prompt in prompts},
        "kind": {prompt: {"yes": -0.25 - shift, "no": -2.0} for prompt in prompts},
        "blunt": {prompt: {"yes": -3.0, "no": -0.125} for prompt in prompts},
    }


def test_a_tabular_config_scores_exactly_and_resumes_by_table_content(tmp_path: Path) -> None:
    config = write_tabular_config(tmp_path, _tables())
    rows = [{"prompt": f"Question {index}?", "response": "yes" if index % 2 else "no", "prompt_id": f"r{index}"} for index in range(6)]
    rows.append({"prompt": "Question 0?", "response": "maybe", "prompt_id": "outside"})
    data = write_rows(tmp_path / "data.jsonl", rows)
    out = tmp_path / "scored.jsonl"
    first = _score(config, data, "--out", out, key=None)
    assert first.returncode == 0, first.stderr
    scored = {row["prompt_id"]: row for row in map(json.loads, out.read_text().splitlines())}
    tables = _tables()
    for row in rows[:-1]:
        written = scored[str(row["prompt_id"])]
        assert written["base_policy_logprob"] == tables["base"][str(row["prompt"])][str(row["response"])]
        assert written["target_policy_logprobs"] == {
            name: tables[name][str(row["prompt"])][str(row["response"])] for name in ("blunt", "kind")
        }
    assert set(scored["outside"]["logprob_status"].values()) == {"invalid_input"}
    assert scored["outside"]["target_policy_logprobs"] == {"blunt": None, "kind": None}
    assert "21 cells already done, 0 to compute" in _score(config, data, "--out", out, key=None).stdout
    write_tabular_config(tmp_path, _tables(shift=0.5))  # only kind's table changes
    again = _score(config, data, "--out", out, key=None)
    assert again.returncode == 0, again.stderr
    assert "14 cells already done, 7 to compute" in again.stdout
    assert json.loads(out.read_text().splitlines()[1])["target_policy_logprobs"]["kind"] == -0.75
    assert run_cli("validate", out).returncode == 0


def test_an_unknown_backend_kind_is_a_config_error_naming_the_known_ones(tmp_path: Path) -> None:
    config = write_tabular_config(tmp_path, _tables())
    config.write_text(config.read_text().replace('kind = "tabular"', 'kind = "carrier-pigeon"'))
    result = _score(config, write_rows(tmp_path / "data.jsonl", [{"prompt": "p", "response": "r"}]), "--out", tmp_path / "o.jsonl")
    assert result.returncode == 2, result.stderr
    assert "unknown backend kind 'carrier-pigeon'; known: openai-compatible, tabular" in result.stderr



def test_ctrl_c_exits_130_saying_how_to_resume_and_the_resumed_file_is_a_clean_run(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=MODELS, api_key=CANARY, latency=0.15)) as slow:
        config, data = write_inputs(tmp_path, slow)
        out = tmp_path / "scored.jsonl"
        process = subprocess.Popen(
            [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out", str(out)],
            cwd=ROOT,
            env=environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while (not out.exists() or len(out.read_bytes().splitlines()) < 5) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stderr
        assert "interrupted" in stderr and "re-run the same command to resume" in stderr
        assert "Traceback" not in stderr
        ids = _row_ids(out)
        assert 5 <= len(ids) < N_ROWS and len(set(ids)) == len(ids)
        assert not list(tmp_path.glob("*.compacting"))
        assert _score(config, data, "--out", out).returncode == 0
        reference = tmp_path / "reference.jsonl"
        assert _score(config, data, "--out", reference).returncode == 0
    assert _cells(out) == _cells(reference) and _row_ids(out) == _row_ids(reference)
