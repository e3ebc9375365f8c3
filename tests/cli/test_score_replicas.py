"""``cje-fp score`` against replicas of each model (``base_urls``): one dying mid-run costs no
cell (none lost, none twice, exit 0); all of a policy's dying stops the run (exit 3)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cje_fp.testing import expected_log_prob
from tests.helpers.optional import ROOT
from tests.helpers.scoring import CANARY, FAILING_ROWS, KEY_ENV, MODELS, N_ROWS, environment, scoring_rows, write_rows


class Replica:
    """A fake server in its own process, so that it can die as a real one does (SIGKILL)."""

    def __init__(self, latency: float) -> None:
        command = [sys.executable, "-m", "cje_fp.testing", "--latency", str(latency), "--api-key-env", KEY_ENV]
        for model in MODELS:
            command += ["--model", model]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=environment(), cwd=ROOT)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        assert self.base_url.startswith("http://127.0.0.1:"), self.base_url

    def requests(self) -> int:
        with urllib.request.urlopen(self.base_url.removesuffix("/v1") + "/stats", timeout=5) as answer:
            count: int = json.load(answer)["requests"]
        return count

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def replicas() -> Iterator[list[Replica]]:
    started = [Replica(latency=0.05) for _ in range(3)]
    try:
        for replica in started:  # ready: it answers
            deadline = time.monotonic() + 30
            while True:
                try:
                    replica.requests()
                    break
                except OSError:
                    assert time.monotonic() < deadline, "a fake server did not start"
                    time.sleep(0.05)
        yield started
    finally:
        for replica in started:
            replica.kill()


def _inputs(folder: Path, urls: list[str]) -> tuple[Path, Path]:
    data = write_rows(folder / "data.jsonl", scoring_rows())
    config = folder / "config.toml"
    policies = "".join(f'[policies.{name}]\nmodel = "{model}"\n' for name, model in zip(("base", "t1", "t2"), MODELS, strict=True))
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_urls = {json.dumps(urls)}\napi_key_env = "{KEY_ENV}"\n'
        'template = "chatml"\nbatch_size = 1\nmax_in_flight = 2\n[retry]\nmax_attempts = 3\ndeadline = 20\n'
        f"[run]\nmax_concurrency = 9\n{policies}"
    )
    return config, data


def _start(config: Path, data: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out", str(out)],
        cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _kill_when_busy(victims: list[Replica], run: subprocess.Popen[str], requests: int) -> None:
    """Kill ``victims`` once the first has served ``requests`` requests, while the run goes on."""
    deadline = time.monotonic() + 120
    while victims[0].requests() < requests:
        assert run.poll() is None, "the run ended before a replica could die mid-run"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)
    for victim in victims:
        victim.kill()


def _rows(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.read_text().splitlines() if line.strip()]


def test_a_replica_dying_mid_run_loses_no_cell_and_duplicates_none(tmp_path: Path, replicas: list[Replica]) -> None:
    config, data = _inputs(tmp_path, [replica.base_url for replica in replicas])
    out = tmp_path / "scored.jsonl"
    run = _start(config, data, out)
    _kill_when_busy([replicas[1]], run, requests=20)
    served_after_kill = [replicas[0].requests(), replicas[2].requests()]
    stdout, stderr = run.communicate(timeout=180)
    assert run.returncode == 0, stderr
    assert replicas[0].requests() + replicas[2].requests() > sum(served_after_kill)  # the others took over

    rows = _rows(out)
    assert [row["prompt_id"] for row in rows] == [f"q{index}" for index in range(N_ROWS)]  # each row once, in order
    for row in rows:
        index = int(str(row["prompt_id"])[1:])
        statuses = row["logprob_status"]
        assert isinstance(statuses, dict)
        values = {"base": row["base_policy_logprob"], **row["target_policy_logprobs"]}  # type: ignore[dict-item]  # JSON
        for policy, model in zip(("base", "t1", "t2"), MODELS, strict=True):
            if index in FAILING_ROWS:
                assert (statuses[policy], values[policy]) == ("token_limit_exceeded", None)
                continue
            context = f"<|im_start|>user\nQuestion {index}?<|im_end|>\n<|im_start|>assistant\n"
            expected = expected_log_prob(context, f"Answer number {index}, with some words.<|im_end|>", model=model)
            assert statuses[policy] == "ok" and values[policy] == pytest.approx(expected)
        assert "base_url" not in row["logprob_source"]["base"]  # type: ignore[index]  # JSON: no replica named
    dead = replicas[1].base_url
    assert any(dead in line and "failed" in line for line in stdout.splitlines()), stdout  # per-endpoint counts
    assert CANARY not in out.read_text() + stdout + stderr


def test_every_replica_of_a_policy_dying_stops_the_run_with_exit_3(tmp_path: Path, replicas: list[Replica]) -> None:
    config, data = _inputs(tmp_path, [replicas[0].base_url, replicas[1].base_url])
    out = tmp_path / "scored.jsonl"
    run = _start(config, data, out)
    _kill_when_busy([replicas[0], replicas[1]], run, requests=20)
    stdout, stderr = run.communicate(timeout=180)
    assert run.returncode == 3, stdout + stderr
    assert "endpoints_down" in stderr and "resume" in stderr
    # No fabricated number: a cell is a value only where it succeeded, and each row is there once.
    rows = _rows(out) if out.exists() else []
    ids = [row["prompt_id"] for row in rows]
    assert len(ids) == len(set(ids))
    kept = 0  # cells a rerun keeps: successes, and failures that are about the row
    for row in rows:
        values = {"base": row["base_policy_logprob"], **row["target_policy_logprobs"]}  # type: ignore[dict-item]  # JSON
        for policy, status in row["logprob_status"].items():  # type: ignore[attr-defined]  # JSON
            assert (status == "ok") == (values[policy] is not None)
            kept += status in ("ok", "token_limit_exceeded")
    assert kept < N_ROWS * 3
    written = out.read_text() if out.exists() else ""
    assert CANARY not in written + stdout + stderr
    assert all(replica.base_url.removesuffix("/v1").split("//")[1] not in written for replica in replicas)

    # The servers are back (elsewhere: replicas' scores name no server): the same command
    # computes exactly the cells the outage failed, and nothing twice.
    config.write_text(config.read_text().replace(json.dumps([replicas[0].base_url, replicas[1].base_url]), json.dumps([replicas[2].base_url])))
    resumed = _start(config, data, out)
    stdout, stderr = resumed.communicate(timeout=180)
    assert resumed.returncode == 0, stderr
    rows = _rows(out)
    assert [row["prompt_id"] for row in rows] == [f"q{index}" for index in range(N_ROWS)]
    assert all(
        status == "ok" or int(str(row["prompt_id"])[1:]) in FAILING_ROWS
        for row in rows
        for status in row["logprob_status"].values()  # type: ignore[attr-defined]  # JSON
    )
    assert f"scored {N_ROWS * 3 - kept} cells" in stdout, stdout
    assert CANARY not in out.read_text() + stdout + stderr
