"""Estimation benchmark: load + calibrate + calibrated IPS + CIs for 3 targets, at 100k and 1M rows.

Run: ``python benchmarks/bench_estimate.py`` (``--rows 100000`` for one size,
``--compare`` to run the incumbent cje-eval 0.3 on the same 100k-row file,
``--no-fresh`` to skip the fresh-draw runs).

Fresh draws: for each size, one draw per prompt and target (``fresh_draws_<rows>/``,
responses of ~1,100 characters), then a separate measured run of the fresh-draw
pipeline (load logs and draws, reward model, direct and stacked-dr with audits),
printed beside the IPS-only run; with ``--compare`` also cje-eval 0.3's
``dr-cpo`` and ``stacked-dr`` beside ours on a smaller file (``--incumbent-dr-rows``,
default 10k rows with their draws: on the 100k file it was killed after 28 minutes),
stopped after ``--incumbent-timeout`` seconds (the output says so). The judge here is the quality
plus noise, so ``E[Y | S]`` depends on each policy's quality distribution:
direct is slightly biased for tilted targets (calibration does not fully
transport; there is no probe slice in this benchmark to catch it).

Files are written in the incumbent's JSONL format, with text (prompts of ~60
and responses of ~1,100 characters, like the arena sample), under a temporary
directory. Each target's log prob is the base's, tilted towards (beta) or away
from (gamma) quality and jittered per token, then normalised so that its mean
weight is exactly 1; the oracle label is the quality itself, so each target's
true value is known (by quadrature over the quality's Beta(2, 2)) and printed
beside its estimate. Each measured run is a separate process so its peak RSS
(``ru_maxrss`` from ``wait4``) is its own. With ``--compare`` the incumbent is
installed into a separate virtualenv (default ``/tmp/cje03-venv``) with
``pip install "cje-eval==0.3.*"`` if missing, and runs
``analyze_dataset(path, estimator="calibrated-ips")``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import numpy as np

if TYPE_CHECKING:
    from cje_fp.data._dataset import Dataset

TILTS = {"alpha": 0.0, "beta": 1.5, "gamma": -1.5}
"""``log w = tilt * (quality - 0.5) - log E[exp(tilt * (quality - 0.5))]`` before the jitter."""
JITTER = {"alpha": 0.02, "beta": 0.03, "gamma": 0.03}
"""Standard deviation of the log-weight jitter per square root of a token."""
WORDS = [
    "the", "model", "answers", "question", "with", "care", "and", "detail", "about", "data",
    "code", "policy", "value", "judge", "oracle", "response", "prompt", "context", "evaluation",
    "estimate", "weight", "score", "label", "sample", "logs",
]


QUALITY_GRID = np.linspace(0.0, 1.0, 200_001)


def _quality_mean(values: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    """``E[values(q)]`` for ``q ~ Beta(2, 2)``, tabulated on ``QUALITY_GRID`` (trapezoid rule)."""
    integrand = 6.0 * QUALITY_GRID * (1.0 - QUALITY_GRID) * values
    step = float(QUALITY_GRID[1] - QUALITY_GRID[0])
    return float((integrand[1:] + integrand[:-1]).sum() * step / 2.0)


def log_normaliser(tilt: float) -> float:
    """``log E[exp(tilt * (q - 0.5))]``: subtracted so that the mean weight is 1."""
    return math.log(_quality_mean(np.exp(tilt * (QUALITY_GRID - 0.5))))


def true_value(tilt: float) -> float:
    """The target's value ``E_target[q] = E[q exp(tilt (q - 0.5))] / E[exp(tilt (q - 0.5))]``."""
    tilted = np.exp(tilt * (QUALITY_GRID - 0.5))
    return _quality_mean(QUALITY_GRID * tilted) / _quality_mean(tilted)


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` rows in the incumbent's format: text, log probs, judge, 25% oracle labels."""
    rng = np.random.default_rng(seed)
    vocabulary = " ".join(rng.choice(WORDS, size=400_000))
    encoder = msgspec.json.Encoder()
    normalisers = {name: log_normaliser(tilt) for name, tilt in TILTS.items()}
    chunk = 50_000
    with open(path, "wb") as handle:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            quality = rng.beta(2.0, 2.0, n)
            tokens = np.maximum(1, rng.lognormal(np.log(250.0), 0.6, n)).astype(int)
            base = -tokens * rng.uniform(0.3, 0.9, n)
            judge = np.round(np.clip(quality + rng.normal(0, 0.1, n), 0, 1) * 20) / 20
            labelled = rng.uniform(size=n) < 0.25
            prompt_starts = rng.integers(0, len(vocabulary) - 200, n)
            response_starts = rng.integers(0, len(vocabulary) - 6000, n)
            # Jitter N(-s^2/2, s^2) with s = sigma * sqrt(tokens) has E[exp(jitter)] = 1.
            targets = {
                name: base
                + tilt * (quality - 0.5)
                - normalisers[name]
                + JITTER[name] * np.sqrt(tokens) * rng.normal(0, 1, n)
                - JITTER[name] ** 2 * tokens / 2.0
                for name, tilt in TILTS.items()
            }
            lines = []
            for i in range(n):
                row = {
                    "prompt": vocabulary[prompt_starts[i] : prompt_starts[i] + 60],
                    "response": vocabulary[response_starts[i] : response_starts[i] + 4 * int(tokens[i])],
                    "base_policy_logprob": float(base[i]),
                    "target_policy_logprobs": {name: float(min(values[i], 0.0)) for name, values in targets.items()},
                    "judge_score": float(judge[i]),
                    "metadata": {"prompt_id": f"prompt-{start + i}"},
                }
                if labelled[i]:
                    row["oracle_label"] = float(quality[i])
                lines.append(encoder.encode(row))
            handle.write(b"\n".join(lines) + b"\n")


def tilted_quality(tilt: float, n: int, rng: np.random.Generator) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Draws of the quality under a target: density ``Beta(2, 2) * exp(tilt (q - 0.5))``, by inverse CDF."""
    density = 6.0 * QUALITY_GRID * (1.0 - QUALITY_GRID) * np.exp(tilt * (QUALITY_GRID - 0.5))
    cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2.0)])
    drawn: np.ndarray[Any, np.dtype[np.float64]] = np.interp(
        rng.uniform(size=n) * cumulative[-1], cumulative, QUALITY_GRID
    )
    return drawn


def generate_fresh(folder: Path, rows: int, seed: int = 1) -> None:
    """One fresh draw per logged prompt for each target (``<target>_responses.jsonl``), judged like
    the logged rows (responses of ~1,100 characters, as the logged file)."""
    rng = np.random.default_rng(seed)
    vocabulary = " ".join(rng.choice(WORDS, size=400_000))
    encoder = msgspec.json.Encoder()
    folder.mkdir(parents=True, exist_ok=True)
    chunk = 50_000
    for name, tilt in TILTS.items():
        with open(folder / f"{name}_responses.jsonl", "wb") as handle:
            for start in range(0, rows, chunk):
                n = min(chunk, rows - start)
                quality = tilted_quality(tilt, n, rng)
                judge = np.round(np.clip(quality + rng.normal(0, 0.1, n), 0, 1) * 20) / 20
                tokens = np.maximum(1, rng.lognormal(np.log(250.0), 0.6, n)).astype(int)
                starts = rng.integers(0, len(vocabulary) - 6000, n)
                lines = [
                    encoder.encode(
                        {
                            "prompt_id": f"prompt-{start + i}",
                            "response": vocabulary[starts[i] : starts[i] + 4 * int(tokens[i])],
                            "judge_score": float(judge[i]),
                            "draw_idx": 0,
                        }
                    )
                    for i in range(n)
                ]
                handle.write(b"\n".join(lines) + b"\n")


def run_ours_fresh(path: str, fresh_dir: str) -> None:
    """The measured fresh-draw pipeline (a child process): load logs and draws, stacked-dr, JSON summary."""
    from returns.result import Failure, Success

    from cje_fp.errors._sealed import sealed
    from cje_fp.estimation import Estimate, ExtraInputs, FreshData, FreshDiagnostics, FreshInputs, estimate_all
    from cje_fp.io import load_draw_directory

    started = time.perf_counter()
    data = _loaded(path)
    loaded_draws = load_draw_directory(fresh_dir, kind="fresh", policies=data.target_names,
                                       logged_prompts=data.prompt_ids)
    match sealed(loaded_draws):
        case Failure(errors):
            raise SystemExit("; ".join(error.describe() for error in errors))
        case Success(draws):
            pass
    fresh = FreshData(draws=draws)
    loaded = time.perf_counter()
    table = estimate_all(
        data, estimators=("direct", "stacked-dr"), targets=data.target_names,
        extra=ExtraInputs(fresh=FreshInputs(data=fresh)),
    )
    finished = time.perf_counter()
    estimates: dict[str, dict[str, Any]] = {}
    for target, estimator, result in table:
        match sealed(result):
            case Success(Estimate(fresh=FreshDiagnostics() as found) as estimate):
                estimates[f"{target} {estimator}"] = {
                    "estimate": [round(estimate.value, 4), round(estimate.ci[0], 4), round(estimate.ci[1], 4)],
                    "gate": "ok", "reasons": list(estimate.diagnostics.gates.warnings), "ess": "-", "simcal": "-",
                    "stack": dict(found.stack_weights),
                }
            case Success(estimate):
                estimates[f"{target} {estimator}"] = {"gate": "ok", "reasons": ["not a fresh-draw estimate"]}
            case Failure(error):
                estimates[f"{target} {estimator}"] = {"gate": "refused", "reasons": [error.describe()]}
    print(json.dumps({"load_s": loaded - started, "estimate_s": finished - loaded, "estimates": estimates}))


def _loaded(path: str) -> Dataset:
    from returns.result import Failure, Success

    from cje_fp.errors._sealed import sealed
    from cje_fp.io import load_dataset

    match sealed(load_dataset(path)):
        case Success(data):
            return data
        case Failure(errors):
            raise SystemExit(errors.describe())


def run_ours(path: str) -> None:
    """The measured pipeline (runs in a child process): prints a JSON summary.

    Estimates run as a user would (refusals on), and each target's gate status
    is reported, so that a change refusing everything shows up here.
    """
    from returns.result import Failure, Success

    from cje_fp.errors._sealed import sealed
    from cje_fp.estimation import estimate_all

    started = time.perf_counter()
    data = _loaded(path)
    loaded = time.perf_counter()
    table = estimate_all(data, estimators=("calibrated-ips",))
    finished = time.perf_counter()
    estimates: dict[str, dict[str, Any]] = {}
    for target, _, result in table:
        match sealed(result):
            case Success(estimate):
                status = estimate.diagnostics.status
                calibration = estimate.diagnostics.weight_calibration
                estimates[target] = {
                    "estimate": [round(estimate.value, 4), round(estimate.ci[0], 4), round(estimate.ci[1], 4)],
                    "gate": status.level,
                    "reasons": list(status.warnings),
                    "simcal": None if calibration is None else calibration.status,
                    "ess": round(estimate.diagnostics.overlap.ess_fraction, 3),
                }
            case Failure(error):
                estimates[target] = {"gate": "refused", "reasons": [error.describe()]}
    print(json.dumps({"load_s": loaded - started, "estimate_s": finished - loaded, "estimates": estimates}))


def describe_estimates(estimates: dict[str, dict[str, Any]]) -> list[str]:
    """One line per target: the estimate and its gate, or the refusal."""
    lines = []
    for target, entry in estimates.items():
        reasons = "; ".join(str(reason) for reason in entry["reasons"])
        if entry["gate"] == "refused":
            lines.append(f"        {target}: REFUSED {reasons}")
            continue
        value, low, high = entry["estimate"]
        detail = f" ({reasons})" if reasons else ""
        truth = true_value(TILTS[target.split()[0]])
        covered = "covers" if low <= truth <= high else "MISSES"
        lines.append(
            f"        {target}: {value} [{low}, {high}] ({covered} the truth {truth:.4f}) gate {entry['gate']}{detail}, "
            f"ESS {entry['ess']}, SIMCal {entry['simcal']}"
        )
    return lines


INCUMBENT_DR = """
import json, logging, sys, time, warnings
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
started = time.perf_counter()
from cje import analyze_dataset
out = {}
for estimator in ("dr-cpo", "stacked-dr"):
    result = analyze_dataset(logged_data_path=sys.argv[1], fresh_draws_dir=sys.argv[2], estimator=estimator)
    low, high = result.confidence_interval(0.05)
    policies = result.metadata.get("target_policies")
    out[estimator] = {p: [round(float(result.estimates[i]), 4), round(float(low[i]), 4), round(float(high[i]), 4)]
                      for i, p in enumerate(policies)}
print(json.dumps({"seconds": time.perf_counter() - started, "estimates": out}))
"""

INCUMBENT = """
import json, logging, sys, time, warnings
warnings.filterwarnings("ignore"); logging.disable(logging.CRITICAL)
started = time.perf_counter()
from cje import analyze_dataset
result = analyze_dataset(logged_data_path=sys.argv[1], estimator="calibrated-ips")
low, high = result.confidence_interval(0.05)
policies = result.metadata.get("target_policies")
print(json.dumps({"seconds": time.perf_counter() - started, "estimates": {
    p: [round(float(result.estimates[i]), 4), round(float(low[i]), 4), round(float(high[i]), 4)]
    for i, p in enumerate(policies)}}))
"""


def measured(command: list[str], timeout: float | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB and stdout of a child process (killed after ``timeout`` seconds:
    ``TimeoutError``)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    timer = threading.Timer(timeout, process.kill) if timeout is not None else None
    if timer is not None:
        timer.start()
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)  # reaps the child: its own peak RSS
    if timer is not None:
        timer.cancel()
        if not timer.is_alive() and time.perf_counter() - started >= timeout:
            raise TimeoutError(f"{command[0]} still running after {timeout:.0f}s: killed")
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    return time.perf_counter() - started, usage.ru_maxrss / 1024.0, output.strip().splitlines()[-1]


def incumbent_python(venv: Path) -> Path:
    """The incumbent's interpreter, installing cje-eval 0.3 into ``venv`` if needed."""
    python = venv / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import cje"], capture_output=True) if python.exists() else None
    if probe is None or probe.returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "cje-eval==0.3.*"], check=True)
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="*", default=[100_000, 1_000_000])
    parser.add_argument("--compare", action="store_true", help="also run cje-eval 0.3 on the 100k file")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/cje03-venv"))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--run-ours", help=argparse.SUPPRESS)
    parser.add_argument("--run-ours-fresh", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--no-fresh", action="store_true", help="skip the fresh-draw (direct, stacked-dr) runs")
    parser.add_argument("--incumbent-dr-rows", type=int, default=10_000,
                        help="rows (and draws per target) of the file cje-eval 0.3's DR runs on with --compare")
    parser.add_argument("--incumbent-timeout", type=float, default=1800.0,
                        help="seconds before cje-eval 0.3's DR run is stopped (--compare)")
    args = parser.parse_args()
    if args.run_ours:
        run_ours(args.run_ours)
        return
    if args.run_ours_fresh:
        run_ours_fresh(*args.run_ours_fresh)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cje-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    ours: dict[int, tuple[float, float]] = {}
    for rows in args.rows:
        path = workdir / f"logs_{rows}.jsonl"
        if not path.exists():
            started = time.perf_counter()
            generate(path, rows)
            print(f"generated {rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - started:.1f}s")
        seconds, rss, output = measured([sys.executable, __file__, "--run-ours", str(path)])
        summary = json.loads(output)
        ours[rows] = (seconds, rss)
        print(
            f"cje-fp  {rows:>9,} rows: {seconds:6.1f}s wall (load {summary['load_s']:.1f}s, "
            f"calibrate+estimate+CIs {summary['estimate_s']:.1f}s), peak RSS {rss:6.0f} MB"
        )
        print("\n".join(describe_estimates(summary["estimates"])))
        refused = [target for target, entry in summary["estimates"].items() if entry["gate"] == "refused"]
        if refused:
            print(f"        WARNING: {len(refused)} of {len(summary['estimates'])} targets refused: {refused}")
        if args.compare and rows == 100_000:
            python = incumbent_python(args.venv)
            script = workdir / "incumbent.py"
            script.write_text(INCUMBENT)
            their_seconds, their_rss, their_output = measured([str(python), str(script), str(path)])
            print(f"cje-eval 0.3 {rows:>6,} rows: {their_seconds:6.1f}s wall, peak RSS {their_rss:6.0f} MB")
            print(f"        estimates [value, low, high]: {json.loads(their_output)['estimates']}")
            print(f"        ratio: {their_seconds / seconds:.1f}x faster, {their_rss / rss:.1f}x less memory")
        if args.no_fresh:
            continue
        fresh_dir = workdir / f"fresh_draws_{rows}"
        if not fresh_dir.exists():
            started = time.perf_counter()
            generate_fresh(fresh_dir, rows)
            size = sum(file.stat().st_size for file in fresh_dir.iterdir()) / 1e6
            print(f"generated {rows:,} fresh draws per target ({size:.0f} MB) in {time.perf_counter() - started:.1f}s")
        fresh_seconds, fresh_rss, fresh_output = measured(
            [sys.executable, __file__, "--run-ours-fresh", str(path), str(fresh_dir)]
        )
        fresh_summary = json.loads(fresh_output)
        print(
            f"cje-fp  {rows:>9,} rows + {rows:,} draws/target: {fresh_seconds:6.1f}s wall (load "
            f"{fresh_summary['load_s']:.1f}s, direct+stacked-dr+audits {fresh_summary['estimate_s']:.1f}s), "
            f"peak RSS {fresh_rss:6.0f} MB (IPS-only: {seconds:.1f}s, {rss:.0f} MB)"
        )
        print("\n".join(describe_estimates(fresh_summary["estimates"])))
    if args.compare and not args.no_fresh:
        compare_fresh_with_incumbent(workdir, args.incumbent_dr_rows, incumbent_python(args.venv), args.incumbent_timeout)


def compare_fresh_with_incumbent(workdir: Path, rows: int, python: Path, timeout: float) -> None:
    """Ours (direct, stacked-dr) and cje-eval 0.3's dr-cpo and stacked-dr on the same ``rows``-row file and draws."""
    path, fresh_dir = workdir / f"logs_{rows}.jsonl", workdir / f"fresh_draws_{rows}"
    if not path.exists():
        generate(path, rows)
    if not fresh_dir.exists():
        generate_fresh(fresh_dir, rows)
    seconds, rss, output = measured([sys.executable, __file__, "--run-ours-fresh", str(path), str(fresh_dir)])
    print(f"cje-fp  {rows:>9,} rows + {rows:,} draws/target, direct and stacked-dr: {seconds:6.1f}s wall, "
          f"peak RSS {rss:6.0f} MB")
    print("\n".join(describe_estimates(json.loads(output)["estimates"])))
    script = workdir / "incumbent_dr.py"
    script.write_text(INCUMBENT_DR)
    try:
        their_seconds, their_rss, their_output = measured([str(python), str(script), str(path), str(fresh_dir)], timeout)
    except TimeoutError as stopped:
        print(f"cje-eval 0.3 {rows:>6,} rows + draws, dr-cpo and stacked-dr: {stopped}")
        return
    print(f"cje-eval 0.3 {rows:>6,} rows + draws, dr-cpo and stacked-dr: {their_seconds:6.1f}s wall, "
          f"peak RSS {their_rss:6.0f} MB ({their_seconds / seconds:.0f}x our time)")
    for estimator, found in json.loads(their_output)["estimates"].items():
        for target, (value, low, high) in found.items():
            truth = true_value(TILTS[target])
            covered = "covers" if low <= truth <= high else "MISSES"
            print(f"        {target} {estimator}: {value} [{low}, {high}] ({covered} the truth {truth:.4f})")


if __name__ == "__main__":
    main()
