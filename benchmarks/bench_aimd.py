"""Adaptive concurrency (AIMD per endpoint) against a fixed in-flight limit, on a server with a capacity.

Starts the fake server (``python -m cje_fp.testing``) in a subprocess with 50 ms latency
and a capacity: a request arriving while ``--capacity`` are in flight is answered
429 with ``Retry-After: 1``, as an overloaded vLLM behind a gateway is. Then scores
N samples x 5 policies twice, each policy at most ``--ceiling`` requests in flight
and wrapped in the same retries as ``cje-fp score`` (5 attempts, Retry-After
honoured): once with ``adaptive_concurrency`` (the default), once with a fixed
limit. Prints, for each: seconds, cells that succeeded and failed, 429 answers,
retries, the server's peak in flight and the policies' limits at the end. Every
successful cell must be the exact expected log prob.

    python benchmarks/bench_aimd.py [--samples 400] [--capacity 32] [--ceiling 64]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence

import attrs
from returns.result import Failure, Success

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.errors import sealed
from cje_fp.policy import retrying
from cje_fp.scoring import MultiTargetSampler, Sample
from cje_fp.testing import expected_log_prob

POLICIES = tuple(f"policy-{k}" for k in range(5))


@attrs.frozen(kw_only=True)
class Outcome:
    label: str
    seconds: float
    succeeded: int
    failed: int
    turned_away: int
    retries: int
    peak_in_flight: int
    limits: tuple[int, ...]


class Server:
    def __init__(self, *, latency: float, capacity: int) -> None:
        command = [sys.executable, "-m", "cje_fp.testing", "--latency", str(latency), "--capacity", str(capacity)]
        for model in POLICIES:
            command += ["--model", model]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        for _ in range(100):
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the fake server does not answer")

    def stats(self, *, reset: bool = False) -> dict[str, object]:
        url = self.base_url.removesuffix("/v1") + "/stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=5) as answer:
            document: dict[str, object] = json.load(answer)
        return document

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def run(server: Server, samples: Sequence[Sample], *, adaptive: bool, ceiling: int) -> Outcome:
    policies = [
        OpenAICompatiblePolicy(
            name=model, base_url=server.base_url, model=model, max_in_flight=ceiling, adaptive_concurrency=adaptive
        )
        for model in POLICIES
    ]
    sampler = MultiTargetSampler(
        policies=[retrying(policy) for policy in policies],  # the defaults of cje-fp score
        base_policy_name=POLICIES[0],
        max_concurrency=ceiling * len(POLICIES),
    )
    server.stats(reset=True)
    started = time.perf_counter()
    batch = sampler.process_batch(samples)
    seconds = time.perf_counter() - started
    limits = tuple(policy.in_flight_limit for policy in policies)
    for policy in policies:
        policy.close()
    stats = server.stats()
    succeeded = failed = 0
    for sample, result in zip(samples, batch.results, strict=True):
        for model in POLICIES:
            match sealed(result.log_probs[model]):
                case Success(value):
                    if value != expected_log_prob(sample.context, sample.response, model=model):
                        raise SystemExit(f"wrong log prob for {sample.sample_id}/{model}: {value}")
                    succeeded += 1
                case Failure(_):
                    failed += 1
    statuses = stats["statuses"]
    assert isinstance(statuses, dict)
    peak = stats["max_in_flight"]
    assert isinstance(peak, int)
    return Outcome(
        label="adaptive (AIMD)" if adaptive else "fixed limit",
        seconds=seconds,
        succeeded=succeeded,
        failed=failed,
        turned_away=int(statuses.get("429", 0)),
        retries=batch.retries_used,
        peak_in_flight=peak,
        limits=limits,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--capacity", type=int, default=32)
    parser.add_argument("--ceiling", type=int, default=64, help="max_in_flight per policy")
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args(argv)
    samples = [
        Sample(sample_id=f"s{i}", context=f"Question {i}: what is {i} plus {i + 1}?", response=f" It is {2 * i + 1}.")
        for i in range(args.samples)
    ]
    one, five, fifteen = os.getloadavg()
    server = Server(latency=args.latency, capacity=args.capacity)
    try:
        outcomes = [run(server, samples, adaptive=adaptive, ceiling=args.ceiling) for adaptive in (True, False)]
    finally:
        server.close()
    print(
        f"{args.samples} samples x {len(POLICIES)} policies, server capacity {args.capacity} in flight "
        f"(429 + Retry-After: 1 above it), {args.latency * 1000:.0f} ms latency, max_in_flight {args.ceiling} "
        f"per policy, retries as cje-fp score; load average {one:.2f}, {five:.2f}, {fifteen:.2f}"
    )
    header = f"{'':<16} {'seconds':>8} {'ok cells':>9} {'failed':>7} {'429s':>6} {'retries':>8} {'server peak':>12}"
    print(header + "  limits at the end")
    for o in outcomes:
        print(
            f"{o.label:<16} {o.seconds:>8.1f} {o.succeeded:>9} {o.failed:>7} {o.turned_away:>6} {o.retries:>8} "
            f"{o.peak_in_flight:>12}  {list(o.limits)}"
        )
    adaptive, fixed = outcomes
    print(
        f"AIMD: {fixed.retries / max(adaptive.retries, 1):.1f}x fewer retries, "
        f"{fixed.seconds / adaptive.seconds:.1f}x the speed, {adaptive.failed} failed cells vs {fixed.failed}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
