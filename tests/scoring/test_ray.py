"""Scoring on Ray writes what the single-process run writes, every cell and every failure kind; it
resumes after a killed worker or a killed driver; the key appears in no output and no Ray log.

One local Ray instance (2 CPUs) serves the whole module; the fake server draws its faults from
each prompt's text, so both runs meet the same faults whatever order cells arrive in.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.scoring import ApiKeysMissing, BackendFatal, ScoringError, ScoringSummary, score_dataset, score_file, score_on_ray
from cje_fp.testing import FakeServer
from tests.helpers.optional import ROOT
from tests.helpers.ray_cluster import (
    World,
    comparable,
    journal_lines,
    kill,
    ray_logs,
    rows,
    scoring_actors,
    server_config,
    start_ray,
    write_config,
)
from tests.helpers.scoring import CANARY, KEY_ENV, environment, write_rows


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    yield from start_ray()


@pytest.fixture(scope="module")
def world(cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("ray")
    with FakeServer(server_config()) as server:
        config = write_config(folder / "config.toml", server)
        data = write_rows(folder / "data.jsonl", rows())
        single = score_file(config, data, folder / "single.jsonl")
        assert isinstance(single, Success), single
        yield World(folder=folder, config=config, data=data, reference=comparable(folder / "single.jsonl"))


def done(result: Result[ScoringSummary, ScoringError]) -> ScoringSummary:
    match sealed(result):
        case Success(summary):
            return summary
        case Failure(error):
            raise AssertionError(error)


def test_the_reference_meets_many_failure_kinds(world: World) -> None:
    kinds = Counter(status for row in world.reference for status in row["logprob_status"].values())
    assert kinds["ok"] > 250 and len(kinds) >= 6, kinds


def test_scores_every_cell_as_the_single_process_run_does(world: World) -> None:
    out = world.folder / "ray.jsonl"
    summary = done(score_on_ray(world.config, world.data, out, workers=2, batch_rows=8))
    assert comparable(out) == world.reference
    assert (summary.computed, summary.skipped) == (len(world.reference) * 3, 0)


def test_a_ray_dataset_scores_as_its_file_does(world: World) -> None:
    import ray.data

    out = world.folder / "dataset.jsonl"
    done(score_dataset(world.config, ray.data.from_items(rows()), out, workers=1, batch_rows=16))
    assert comparable(out) == world.reference


def _kill_when(out: Path, lines: int, killed: list[int], stop: threading.Event) -> None:
    """Kill one scoring actor once ``out`` has ``lines`` lines; record how many it had then."""
    while not stop.is_set() and journal_lines(out) < lines:
        time.sleep(0.05)
    while not stop.is_set() and not killed:
        actors = scoring_actors()
        if actors:
            kill(actors[0])
            killed.append(journal_lines(out))
        time.sleep(0.05)


def test_a_killed_worker_loses_no_cell(world: World) -> None:
    with FakeServer(server_config(latency=0.25)) as slow:
        config = write_config(world.folder / "slow.toml", slow)
        out = world.folder / "worker_killed.jsonl"
        killed: list[int] = []
        stop = threading.Event()
        killer = threading.Thread(target=_kill_when, args=(out, 12, killed, stop))
        killer.start()
        try:
            summary = done(score_on_ray(config, world.data, out, workers=2, batch_rows=4))
        finally:
            stop.set()
            killer.join()
    assert killed and killed[0] < len(world.reference), "no worker was killed while the run went on"
    assert comparable(out) == world.reference
    assert summary.computed >= len(world.reference) * 3


def test_a_killed_driver_leaves_a_journal_the_next_run_resumes(world: World, cluster: str) -> None:
    with FakeServer(server_config(latency=0.25)) as slow:
        config = write_config(world.folder / "slow_driver.toml", slow)
        out = world.folder / "driver_killed.jsonl"
        command = [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(world.data), "--out", str(out),
                   "--ray", cluster, "--ray-workers", "2", "--ray-batch-rows", "4"]
        driver = subprocess.Popen(command, cwd=ROOT, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while journal_lines(out) < 15 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        driver.kill()
        stdout, stderr = driver.communicate(timeout=30)
        written = journal_lines(out)
        assert 15 <= written < len(world.reference), (written, stderr.decode()[-2000:])
        summary = done(score_on_ray(config, world.data, out, workers=2, batch_rows=8))
    assert summary.resumed and summary.skipped >= written * 3
    assert summary.computed == len(world.reference) * 3 - summary.skipped
    assert comparable(out) == world.reference
    assert CANARY.encode() not in stdout + stderr


def test_a_worker_without_the_key_says_where_it_is_missing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Set in the driver after Ray started: its workers never had it, as on a node started without it.
    monkeypatch.setenv("CJE_FP_DRIVER_ONLY_KEY", CANARY)
    with FakeServer(server_config()) as server:
        config = write_config(world.folder / "driver_key.toml", server, key_env="CJE_FP_DRIVER_ONLY_KEY")
        result = score_on_ray(config, world.data, world.folder / "no_key.jsonl", workers=1)
    match sealed(result):
        case Failure(ApiKeysMissing() as missing):
            assert "CJE_FP_DRIVER_ONLY_KEY" in missing.describe() and "Ray node" in missing.describe()
            assert CANARY not in missing.describe() + missing.details
        case other:
            raise AssertionError(other)


def test_a_server_refusing_the_key_stops_the_run_as_in_one_process(world: World) -> None:
    # The server wants another key and quotes the one it got in its 401: it must not reach the output.
    with FakeServer(attrs.evolve(server_config(), api_key="sk-another-key")) as refusing:
        config = write_config(world.folder / "refused.toml", refusing)
        on_ray = score_on_ray(config, world.data, world.folder / "refused_ray.jsonl", workers=2, batch_rows=8)
        single = score_file(config, world.data, world.folder / "refused_single.jsonl")
    match sealed(on_ray), sealed(single):
        case Failure(BackendFatal() as ray_error), Failure(BackendFatal() as single_error):
            # every policy sends the refused key: which refusal completes first (and is named) is timing
            assert ray_error.cause == single_error.cause == "unauthorized"
            assert {ray_error.policy, single_error.policy} <= {"base", "t1", "t2"}
        case other:
            raise AssertionError(other)
    assert comparable(world.folder / "refused_ray.jsonl") == comparable(world.folder / "refused_single.jsonl") == []


def test_the_key_is_in_no_output_and_no_ray_log(world: World) -> None:
    import ray.data

    # The server requires the key: every cell that succeeds was sent with it by a Ray worker.
    out = world.folder / "key_check.jsonl"
    summary = done(score_dataset(world.config, ray.data.from_items(rows(20)), out, workers=1))
    assert summary.succeeded > 0 and os.environ.get(KEY_ENV) == CANARY
    leaks = [path for path in world.folder.rglob("*") if path.is_file() and CANARY.encode() in path.read_bytes()]
    logs = [path for path in ray_logs().rglob("*") if path.is_file()]
    assert len(logs) > 5
    leaks += [path for path in logs if CANARY.encode() in path.read_bytes()]
    assert not leaks


def test_without_ray_the_command_names_the_extra_and_exits_2(tmp_path: Path) -> None:
    hidden = tmp_path / "hidden" / "ray"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("ray is hidden by this test")\n')
    config = tmp_path / "config.toml"
    config.write_text('base_policy = "b"\n[defaults]\nkind = "tabular"\n[policies.b]\ntable = {q = {a = -1.0}}\n'
                      "[policies.t]\ntable = {q = {a = -2.0}}\n")
    data = write_rows(tmp_path / "data.jsonl", [{"prompt": "q", "response": "a", "prompt_id": "r1"}])
    env = {**environment(), "PYTHONPATH": str(tmp_path / "hidden")}
    finished = subprocess.run([sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out",
                           str(tmp_path / "out.jsonl"), "--ray"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert finished.returncode == 2, finished.stderr
    assert 'pip install "cje-fp[ray]"' in finished.stderr and not (tmp_path / "out.jsonl").exists()
