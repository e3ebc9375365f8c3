"""Sampler benchmark: per-cell overhead and throughput under simulated latency.

Run: ``python benchmarks/bench_sampler.py`` (add ``--quick`` for a smoke run).

1. Overhead: 5 in-process tabular policies wrapped in ``validated`` and
   ``retrying``, 100,000 cells through ``MultiTargetSampler``: microseconds per cell.
2. Latency: 5 policies that sleep 50 ms per call. Samples/s for the incumbent's
   threaded design (10 workers, each computing its sample's 5 policies one after
   another) and for ours at 64 and 256 calls in flight; each as a fraction of
   its limit, in-flight / (policies x latency).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from concurrent.futures import ThreadPoolExecutor

from returns.result import Success

from cje_fp import MultiTargetSampler, Policy, TabularPolicy, retrying, validated
from cje_fp.policy._protocol import AsyncFunctionPolicy, AsyncPolicy, FunctionPolicy, LogProbResult
from cje_fp.scoring import Sample

N_POLICIES = 5
LATENCY = 0.05


def _samples(count: int) -> list[Sample]:
    return [Sample(sample_id=f"s{i}", context=f"prompt {i}", response="answer") for i in range(count)]


def overhead(cells: int) -> float:
    """Microseconds per cell of validation + retry wrapper + sampler."""
    samples = _samples(cells // N_POLICIES)
    policies: list[Policy | AsyncPolicy] = [
        retrying(
            validated(
                FunctionPolicy(
                    name=f"p{k}",
                    call=TabularPolicy(
                        name=f"p{k}",
                        table={s.context: {"answer": -1.0 - k} for s in samples},
                    ).compute_log_prob,
                )
            )
        )
        for k in range(N_POLICIES)
    ]
    sampler = MultiTargetSampler(policies=policies, base_policy_name="p0", max_concurrency=1)
    started = time.perf_counter()
    batch = sampler.process_batch(samples)
    elapsed = time.perf_counter() - started
    assert batch.n_complete == len(samples)
    return elapsed / cells * 1e6


def _sleeping(name: str) -> FunctionPolicy:
    def call(context: str, response: str) -> LogProbResult:
        time.sleep(LATENCY)
        return Success(-1.0)

    return FunctionPolicy(name=name, call=call)


def _sleeping_async(name: str) -> AsyncFunctionPolicy:
    async def call(context: str, response: str) -> LogProbResult:
        await asyncio.sleep(LATENCY)
        return Success(-1.0)

    return AsyncFunctionPolicy(name=name, call_async=call)


def threaded_incumbent(n_samples: int, workers: int = 10) -> float:
    """Samples/s of a pool where each worker scores its sample's policies in turn."""
    policies = [_sleeping(f"p{k}") for k in range(N_POLICIES)]

    def score(sample: Sample) -> list[LogProbResult]:
        return [policy.compute_log_prob(sample.context, sample.response) for policy in policies]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(score, _samples(n_samples)))
    return n_samples / (time.perf_counter() - started)


def ours(n_samples: int, in_flight: int, asynchronous: bool) -> float:
    """Samples/s of ``MultiTargetSampler`` with ``in_flight`` calls at once."""
    make = _sleeping_async if asynchronous else _sleeping
    policies: list[Policy | AsyncPolicy] = [
        retrying(validated(make(f"p{k}"))) for k in range(N_POLICIES)
    ]
    sampler = MultiTargetSampler(policies=policies, base_policy_name="p0", max_concurrency=in_flight)
    batch = sampler.process_batch(_samples(n_samples))
    assert batch.n_complete == n_samples
    return batch.samples_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    scale = 0.1 if args.quick else 1.0

    cells = int(100_000 * scale)
    print(f"(1) overhead, {N_POLICIES} tabular policies, validated + retrying + sampler, {cells:,} cells")
    print(f"    {overhead(cells):.1f} us per cell (target < 20)")

    print(f"(2) {N_POLICIES} policies sleeping {LATENCY * 1000:.0f} ms per call")
    rows = []
    threaded = threaded_incumbent(int(200 * scale) or 20)
    rows.append(("incumbent threaded, 10 workers", threaded, 10 / (N_POLICIES * LATENCY)))
    for in_flight in (64, 256):
        for asynchronous in (False, True):
            rate = ours(math.ceil(in_flight * 8 * scale), in_flight, asynchronous)
            kind = "asyncio" if asynchronous else "threads"
            rows.append((f"cje-fp {kind}, {in_flight} in flight", rate, in_flight / (N_POLICIES * LATENCY)))
    for label, rate, limit in rows:
        print(
            f"    {label:<34} {rate:8.1f} samples/s  limit {limit:6.0f}  "
            f"{rate / limit:6.1%} of limit  {rate / threaded:5.1f}x threaded"
        )


if __name__ == "__main__":
    main()
