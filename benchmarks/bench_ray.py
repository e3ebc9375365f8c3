"""Scoring on Ray with 1 and 2 workers beside the single-process run, for the record.

Starts the fake server (``python -m cje_fp.testing``) in its own process on 127.0.0.1 with
``--latency`` seconds per request and a few faults drawn by each prompt's text, writes N rows
and a config of 3 policies (8 prompts per request, 64 cells in flight), then scores them:

1. in this process (``score_file``);
2. on a local Ray instance (``ray.init(num_cpus=2)``, started once, not timed) with 1 and
   with 2 scoring actors (``score_on_ray``); each time includes starting the actors.

Prints wall time and cells/s per run, and checks that each Ray run wrote the single-process
run's rows (every value and failure kind; only the request hashes of failed cells may differ,
as batching depends on timing). On a 2-core machine the client, the server and Ray share two
cores, so no speed-up can show here: the numbers say what Ray costs, not what it gains. On a
cluster, each worker brings its own cores and connections.

    python benchmarks/bench_ray.py [--rows 2000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from returns.result import Failure, Success

from cje_fp.errors import sealed
from cje_fp.scoring import ScoringSummary, score_file, score_on_ray

KEY_ENV = "CJE_FP_BENCH_KEY"
FAULTS = ("nan=0.01", "server_error=0.005", "context_length=0.01")


def _server(latency: float) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "cje_fp.testing", "--latency", str(latency), "--model", "model-a",
               "--model", "model-b", "--api-key-env", KEY_ENV]
    command += [argument for fault in FAULTS for argument in ("--content-fault", fault)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def _inputs(folder: Path, url: str, rows: int) -> tuple[Path, Path]:
    data = folder / "data.jsonl"
    data.write_text("".join(
        json.dumps({"prompt": f"Question {i} about topic {i % 97}?", "response": f"Answer {i}, in a few words.",
                    "prompt_id": f"q{i}"}) + "\n"
        for i in range(rows)
    ))
    config = folder / "config.toml"
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{url}"\napi_key_env = "{KEY_ENV}"\ntemplate = "chatml"\n'
        'batch_size = 8\nmax_in_flight = 16\n[retry]\nmax_attempts = 3\n[run]\nmax_concurrency = 64\n'
        '[policies.base]\nmodel = "model-a"\n[policies.t1]\nmodel = "model-b"\n'
        '[policies.t2]\nmodel = "model-a"\nsystem_prompt = "Be brief."\n'
    )
    return config, data


def _rows(path: Path) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in path.read_text().splitlines()]
    for row in found:
        for record in row["logprob_errors"].values():
            record.get("http", {}).pop("request_hash", None)
            record.get("last", {}).get("http", {}).pop("request_hash", None)
    return found


def _timed(label: str, run: Any, cells: int) -> float:
    started = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - started
    match sealed(result):
        case Success(summary):
            assert isinstance(summary, ScoringSummary) and summary.computed == cells, summary
        case Failure(error):
            raise SystemExit(f"{label}: {error.describe()}")
    print(f"{label:<28} {elapsed:7.1f} s {cells / elapsed:9.0f} cells/s", flush=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    arguments = parser.parse_args()
    import ray

    os.environ[KEY_ENV] = "sk-bench-" + os.urandom(8).hex()
    server, url = _server(arguments.latency)
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            config, data = _inputs(folder, url, arguments.rows)
            cells = arguments.rows * 3
            print(f"{arguments.rows} rows x 3 policies, {arguments.latency * 1000:.0f} ms per request, "
                  f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}", flush=True)
            _timed("single process", lambda: score_file(config, data, folder / "single.jsonl"), cells)
            started = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False)
            print(f"(ray.init: {time.perf_counter() - started:.1f} s, not counted below)", flush=True)
            try:
                for workers in (1, 2):
                    out = folder / f"ray_{workers}.jsonl"
                    run = functools.partial(score_on_ray, config, data, out, workers=workers)
                    _timed(f"Ray, {workers} worker(s)", run, cells)
                    same = _rows(out) == _rows(folder / "single.jsonl")
                    print(f"  same rows as the single-process run: {same}", flush=True)
            finally:
                ray.shutdown()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("2 cores are shared by this client, the server and Ray here: no speed-up can show on this machine.")


if __name__ == "__main__":
    main()
