"""Ours batched with one call per cell vs chunks of cells per call, in one process.

Runs the ``bench_http`` batched configuration (3,000 samples x 5 policies, 8
prompts per request, at most 64 requests per policy, 2,048 cells in flight)
against the lean fake server, ``--rounds`` times each way, with bare aiohttp
(batched 8, 256 in flight) in every round, the order alternating, and prints
samples/s, the client's CPU seconds per 1,000 requests and ours/bare per round
(compare ratios only, within one run). "cell" hides ``BatchAsyncPolicy`` from
the interpreter, so the sampler falls back to one task per cell.

    python -m benchmarks.bench_chunks [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Sequence

from benchmarks import bench_http
from cje_fp.scoring import _interpreters


class _NoPolicy:
    """Matches no policy: the interpreter then calls every policy per cell."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args(argv)
    chunked = getattr(_interpreters, "BatchAsyncPolicy")  # noqa: B009  # not re-exported there
    samples = bench_http.make_samples(args.samples)
    print(f"load average before: {os.getloadavg()}")
    server = bench_http.ServerProcess(0.05, "benchmarks.lean_server")
    runs: dict[str, list[bench_http.Run]] = {"cell": [], "chunk": [], "bare": []}
    try:
        bench_http.prime(server, samples)
        for round_ in range(args.rounds):
            for mode in ("cell", "chunk", "bare") if round_ % 2 == 0 else ("bare", "chunk", "cell"):
                if mode == "bare":
                    run = bench_http.run_bare_aiohttp(server, samples, in_flight=256, batch_size=8, label=mode)
                else:
                    setattr(_interpreters, "BatchAsyncPolicy", chunked if mode == "chunk" else _NoPolicy)  # noqa: B010  # the switch under test
                    run = bench_http.run_ours(
                        server, samples, in_flight=64, batch_size=8, concurrency=2048, label=mode
                    )
                runs[mode].append(run)
    finally:
        setattr(_interpreters, "BatchAsyncPolicy", chunked)  # noqa: B010  # put back
        server.close()
    print(f"load average after: {os.getloadavg()}")
    for mode, measured in runs.items():
        speeds = [round(run.samples_per_second) for run in measured]
        cpu = [round(run.cpu_per_1000_requests, 3) for run in measured]
        print(f"{mode:5} samples/s {speeds}  client CPU s/1k requests {cpu}")
    for mode in ("cell", "chunk"):
        ratios = [
            ours.samples_per_second / bare.samples_per_second
            for ours, bare in zip(runs[mode], runs["bare"], strict=True)
        ]
        print(f"{mode:5} ours/bare per round {[f'{r:.0%}' for r in ratios]}, median {statistics.median(ratios):.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
