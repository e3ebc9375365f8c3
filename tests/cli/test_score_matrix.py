"""The fault-and-kill matrix: ``cje-fp score`` under random faults of every kind the fake server injects,
kill -9 at random moments, a wrong key, a second run on the same output, a config change and a data
change between runs. The final file equals a clean run on the final inputs, byte for byte, with no
duplicate line, and every run exits with its documented code."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig, fault_marker
from tests.helpers.cli import run_cli
from tests.helpers.optional import ROOT
from tests.helpers.scoring import CANARY, MODELS, environment, write_rows

N_ROWS = 60
#: Faults that fire on the first request(s) carrying the prompt only: retried within the run, they end in success.
TRANSIENT = ("rate_limit", "server_error", "unavailable", "hang", "drop", "truncated_body")
#: Faults that fire on every request: the cell fails the same way in every run (about the row or the backend).
PERMANENT = (
    "malformed_json", "missing_choices", "context_length", "bad_request", "unprocessable",
    "missing_logprobs", "nan", "positive", "null_logprob", "short_logprobs", "echo_mismatch",
)  # fmt: skip


def _rows(rng: random.Random, version: int) -> list[dict[str, Any]]:
    """Rows with every fault kind at random places: each permanent fault once, on even rows (never two
    rows running, so that no policy fails ten cells in a row, which would rightly stop every run), each
    transient fault three times, on odd rows."""
    markers = dict(zip(rng.sample(range(0, N_ROWS, 2), len(PERMANENT)), map(fault_marker, PERMANENT), strict=True))
    transient = [fault_marker(kind, times=rng.choice((1, 2))) for kind in TRANSIENT * 3]
    markers.update(zip(rng.sample(range(1, N_ROWS, 2), len(transient)), transient, strict=True))
    return [
        {
            "prompt": f"Question {index} (v{version if index % 7 == 0 else 0})?",
            "response": f"Answer number {index}, plainly.{markers.get(index, '')}",
            "judge_score": round(rng.random(), 3),
            "prompt_id": f"q{index}",
            **({"oracle_label": float(index % 2)} if version and index % 3 == 0 else {}),
        }
        for index in range(N_ROWS)
    ]


def _config(folder: Path, server: FakeServer, t2_model: str) -> Path:
    config = folder / "config.toml"
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\napi_key_env = "CJE_FP_TEST_KEY"\n'
        'template = "chatml"\nbatch_size = 1\ntimeout = 0.5\n[retry]\nmax_attempts = 4\ndeadline = 10\n'
        f'[run]\nmax_concurrency = 6\n[policies.base]\nmodel = "{MODELS[0]}"\n[policies.t1]\nmodel = "{MODELS[1]}"\n'
        f'[policies.t2]\nmodel = "{t2_model}"\n'
    )
    return config


def _start(config: Path, data: Path, out: Path, key: str = CANARY) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out", str(out)],
        cwd=ROOT,
        env=environment(key),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _killed_at_random(process: subprocess.Popen[bytes], rng: random.Random) -> int:
    try:
        return process.wait(timeout=rng.uniform(0.6, 3.0))  # finished before the kill: its own exit code
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return -signal.SIGKILL


@pytest.mark.parametrize("seed", [11])
def test_faults_kills_and_changes_end_in_exactly_a_clean_run(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    codes: list[tuple[str, int]] = []
    with FakeServer(FakeServerConfig(models=MODELS, api_key=CANARY, latency=0.04, retry_after="0", hang_seconds=2.0)) as server:
        data = write_rows(tmp_path / "data.jsonl", _rows(random.Random(seed), version=0))
        config = _config(tmp_path, server, MODELS[2])
        out = tmp_path / "scored.jsonl"

        for _ in range(2):
            codes.append(("killed", _killed_at_random(_start(config, data, out), rng)))
        contender, second = _start(config, data, out), None
        time.sleep(rng.uniform(0.8, 1.6))
        second = run_cli("score", config, data, "--out", out, env=environment(), timeout=120)
        codes.append(("second run", second.returncode))
        if second.returncode == 2:
            assert "being written by another cje-fp score run" in second.stderr
        codes.append(("contended", _killed_at_random(contender, rng)))
        config = _config(tmp_path, server, MODELS[0])  # t2 now scores with base's model: its cells are computed again
        wrong_key = run_cli("score", config, data, "--out", out, env=environment("sk-wrong-key-000000"), timeout=120)
        codes.append(("wrong key", wrong_key.returncode))
        assert "refuses us (unauthorized)" in wrong_key.stderr and "sk-wrong-key" not in wrong_key.stderr
        codes.append(("config changed", _killed_at_random(_start(config, data, out), rng)))
        write_rows(data, _rows(random.Random(seed + 1), version=1))  # new text, judge scores, oracle labels
        codes.append(("data changed", _killed_at_random(_start(config, data, out), rng)))
        final = run_cli("score", config, data, "--out", out, env=environment(), timeout=120)
        codes.append(("final", final.returncode))

        server.reset_stats()  # the clean run sees each fault afresh
        clean = tmp_path / "clean.jsonl"
        reference = run_cli("score", config, data, "--out", clean, env=environment(), timeout=120)
        assert reference.returncode == 0, reference.stderr

    documented = {"killed": {0, -9}, "second run": {0, 2}, "contended": {0, -9}, "wrong key": {3},
                  "config changed": {0, -9}, "data changed": {0, -9}, "final": {0}}  # fmt: skip
    assert all(code in documented[step] for step, code in codes), (codes, final.stderr)
    assert any(code == -9 for _, code in codes), f"no kill landed mid-run: {codes}"
    written = out.read_bytes()
    ids = [json.loads(line)["prompt_id"] for line in written.splitlines()]
    assert ids == [f"q{index}" for index in range(N_ROWS)]
    assert written == clean.read_bytes()
    assert not list(tmp_path.glob("*.compacting"))
