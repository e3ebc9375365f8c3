"""The benchmark scripts run end to end at toy sizes (smoke runs: no timing is asserted).

Each script checks its own answers (``bench_http`` fails on any wrong log prob,
``bench_clients`` on a request the server did not see, ``bench_estimate`` on
a failed child), so a run that exits 0 and prints its table has worked.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def run(script: str, *arguments: str | Path, timeout: float = 180) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *map(str, arguments)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert result.returncode == 0, f"{script} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_bench_http_prints_every_design_and_the_verdict() -> None:
    output = run("bench_http.py", "--samples", "24", "--latency", "0.01", "--rounds", "2", "--threaded")
    for label in (
        "threaded (10 threads",
        "[1] ours, unbatched, 256 in flight",
        "[1] bare aiohttp, unbatched, 256 in flight",
        "[2] ours, batched 8, <=64/policy, 2048 cells",
        "[2] bare aiohttp, batched 8, 256 in flight",
    ):
        assert label in output
    for mode, target in (("unbatched", 90), ("batched", 80)):
        verdict = rf"{mode}: ours/bare = [\d.]+% \(median of rounds \d+%, \d+%\); target >= {target}%: (met|MISSED)"
        assert re.search(verdict, output), output
    assert re.search(r"targets, same run: (all met|MISSED)", output) and "load average" in output
    # 24 samples x 5 policies unbatched: 120 requests reached the server in every unbatched row.
    assert re.search(r"\[1\] ours, unbatched, 256 in flight\s+[\d.]+\s+120\s", output)


def test_bench_aimd_prints_both_limits_with_retries_and_time() -> None:
    output = run("bench_aimd.py", "--samples", "20", "--capacity", "4", "--ceiling", "8", "--latency", "0.01")
    for label in ("adaptive (AIMD)", "fixed limit"):
        assert re.search(rf"^{re.escape(label)}\s+[\d.]+\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+\[", output, re.MULTILINE), output
    assert re.search(r"AIMD: [\d.]+x fewer retries, [\d.]+x the speed", output)


def test_bench_clients_measures_aiohttp_and_names_what_is_missing() -> None:
    output = run("bench_clients.py", "--clients", "aiohttp", "--samples", "24", "--rounds", "1", "--latency", "0.01")
    assert re.search(r"^aiohttp\s+[\d.]+\s+[\d.]+x\s+\d+\s+\d+$", output, re.MULTILINE)


def test_bench_clients_refuses_an_unknown_client() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_clients.py"), "--clients", "aiohttp,carrier-pigeon"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "unknown client(s) carrier-pigeon" in result.stderr


def test_bench_estimate_prints_each_target_beside_its_truth(tmp_path: Path) -> None:
    output = run("bench_estimate.py", "--rows", "4000", "--workdir", tmp_path)
    for target in ("alpha", "beta", "gamma"):
        assert re.search(rf"{target}: [\d.]+ \[[\d.]+, [\d.]+\] \((covers|MISSES) the truth [\d.]+\)", output), output


def test_bench_estimate_data_has_mean_weight_one_and_the_printed_truth(tmp_path: Path) -> None:
    """Checked on the generated file itself (weights from its log probs, quality
    from its labels), not on the script's own formulas."""
    spec = importlib.util.spec_from_file_location("bench_estimate", BENCHMARKS / "bench_estimate.py")
    assert spec is not None and spec.loader is not None
    bench_estimate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_estimate)
    path = tmp_path / "logs.jsonl"
    bench_estimate.generate(path, 40_000, seed=3)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    base = np.array([row["base_policy_logprob"] for row in rows])
    labelled = [i for i, row in enumerate(rows) if "oracle_label" in row]
    quality = np.array([rows[i]["oracle_label"] for i in labelled])
    for target, tilt in bench_estimate.TILTS.items():
        weights = np.exp(np.array([row["target_policy_logprobs"][target] for row in rows]) - base)
        standard_error = weights.std() / np.sqrt(len(weights))
        assert abs(weights.mean() - 1.0) < 4 * standard_error + 1e-3, (target, weights.mean())
        labelled_weights = weights[labelled]
        value = float((labelled_weights * quality).sum() / labelled_weights.sum())
        assert abs(value - bench_estimate.true_value(tilt)) < 0.01, (target, value)
    assert bench_estimate.true_value(1.5) > 0.55 > 0.5 > 0.45 > bench_estimate.true_value(-1.5)


def test_bench_sampler_quick_run() -> None:
    output = run("bench_sampler.py", "--quick")
    assert re.search(r"[\d.]+ us per cell", output), output
    assert re.search(r"cje-fp asyncio, 256 in flight\s+[\d.]+ samples/s", output), output


def test_study_honest_inference_prints_every_world_and_issue_11_criteria() -> None:
    output = run("study_honest_inference.py", "--replications", "3", "--scale", "0.2")
    for world in ("label-selection", "random-labels", "overlap-moderate", "overlap-low", "heavy-tails", "families", "few-labels"):
        assert re.search(rf"^# {world} default: 3 replications in [\d.]+ s$", output, re.MULTILINE), world
    assert "# issue 11 criteria" in output
    assert len(re.findall(r"^(met   |MISSED) ", output, re.MULTILINE)) == 16
