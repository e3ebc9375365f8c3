"""Throughput of the HTTP teacher-forcing backend against the incumbent's threaded design.

Starts the fake vLLM-shaped server (``cje_fp.testing.server``) in a subprocess
on 127.0.0.1 with 50 ms latency per request, then scores N samples x 5 policies:

1. the incumbent's design: 10 threads, a blocking ``requests`` client, each
   sample's policies one after another;
2. ``OpenAICompatiblePolicy`` through ``MultiTargetSampler``, unbatched, at 64
   and at 256 requests in flight;
3. the same, batched: 8 prompts per request;
4. for reference, bare aiohttp (JSON decoding only, no scoring or sampler),
   unbatched at 256 in flight and batched 8: the HTTP client's own ceiling here.

Prints samples/s, the ratios to the threaded design, and the client's CPU
seconds per 1,000 requests (the server runs in its own process). Every cell
must succeed with the exact expected log prob, or the script fails.

    python benchmarks/bench_http.py [--samples 2000] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence

import attrs
import requests
from returns.result import Failure, Success

from cje_fp.backends.completions import encode_request, parse_completions, request_payload
from cje_fp.backends.openai_compatible import OpenAICompatiblePolicy
from cje_fp.backends.teacher_forcing import score_response
from cje_fp.sampling import BatchResult, MultiTargetSampler, Sample
from cje_fp.results import sealed
from cje_fp.testing.server import expected_log_prob

POLICIES = tuple(f"policy-{k}" for k in range(5))
THREADS = 10


@attrs.frozen(kw_only=True)
class Run:
    """One measured configuration."""

    label: str
    samples: int
    seconds: float
    cpu_seconds: float
    requests: int
    max_in_flight: int
    server_cpu_seconds: float = float("nan")

    @property
    def samples_per_second(self) -> float:
        return self.samples / self.seconds

    @property
    def cpu_per_1000_requests(self) -> float:
        return 1000.0 * self.cpu_seconds / self.requests if self.requests else float("nan")

    @property
    def server_cpu_per_1000_requests(self) -> float:
        return 1000.0 * self.server_cpu_seconds / self.requests if self.requests else float("nan")


class ServerProcess:
    """The fake server as a child process (so its CPU is not the client's)."""

    def __init__(self, latency: float) -> None:
        command = [sys.executable, "-m", "cje_fp.testing.server", "--latency", str(latency)]
        for model in POLICIES:
            command += ["--model", model]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.process.terminate()
            raise RuntimeError(f"the fake server did not start: {self.base_url!r}")
        self._wait_ready()

    def _wait_ready(self) -> None:
        for _ in range(100):
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the fake server does not answer")

    def stats(self, *, reset: bool = False) -> dict[str, int]:
        url = self.base_url.removesuffix("/v1") + "/stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=5) as answer:
            document: dict[str, int] = json.load(answer)
        return document

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (Linux ``/proc``; NaN elsewhere)."""
        try:
            fields = open(f"/proc/{self.process.pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def make_samples(n: int) -> list[Sample]:
    return [
        Sample(
            sample_id=f"s{i}",
            context=f"Question {i}: what is {i} plus {i + 1}? Answer briefly.",
            response=f" The answer is {2 * i + 1}, because {i} and {i + 1} add up to it.",
        )
        for i in range(n)
    ]


def check_exact(samples: Sequence[Sample], lookup: Callable[[int, str], float | None]) -> None:
    """Every cell present and equal to the server's exact answer."""
    for index, sample in enumerate(samples):
        for model in POLICIES:
            expected = expected_log_prob(sample.context, sample.response, model=model)
            got = lookup(index, model)
            if got != expected:
                raise SystemExit(f"wrong log prob for {sample.sample_id}/{model}: {got} != {expected}")


def run_threaded(server: ServerProcess, samples: Sequence[Sample]) -> Run:
    """The incumbent: 10 threads, blocking client, a sample's policies in sequence."""
    url = server.base_url + "/completions"
    results: dict[tuple[int, str], float] = {}
    work: queue.Queue[int] = queue.Queue()
    for index in range(len(samples)):
        work.put(index)
    lock = threading.Lock()

    def worker() -> None:
        session = requests.Session()
        session.trust_env = False
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                break
            sample = samples[index]
            for model in POLICIES:
                body = encode_request(
                    request_payload(
                        model=model,
                        prompts=[sample.context + sample.response],
                        temperature=1.0,
                        max_tokens=0,
                    )
                )
                answer = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
                echo = parse_completions(answer.content, n_prompts=1, request_hash="")[0]
                scored = echo.bind(
                    lambda e: score_response(e, context=sample.context, response=sample.response)
                )
                match sealed(scored):
                    case Success(value):
                        with lock:
                            results[(index, model)] = value.log_prob
                    case Failure(error):
                        raise SystemExit(f"threaded baseline failed: {error.describe()}")
        session.close()

    server.stats(reset=True)
    server_cpu = server.cpu_seconds()
    started, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    after = server.stats()
    check_exact(samples, lambda index, model: results.get((index, model)))
    return Run(
        label=f"threaded ({THREADS} threads, requests)",
        samples=len(samples),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        requests=after["requests"],
        max_in_flight=after["max_in_flight"],
        server_cpu_seconds=server.cpu_seconds() - server_cpu,
    )


def run_ours(
    server: ServerProcess, samples: Sequence[Sample], *, in_flight: int, batch_size: int, label: str
) -> Run:
    """``OpenAICompatiblePolicy`` x 5 through ``MultiTargetSampler``."""
    policies = [
        OpenAICompatiblePolicy(
            name=model,
            base_url=server.base_url,
            model=model,
            timeout=60.0,
            max_in_flight=in_flight,
            batch_size=batch_size,
        )
        for model in POLICIES
    ]
    sampler = MultiTargetSampler(
        policies=policies, base_policy_name=POLICIES[0], max_concurrency=in_flight * batch_size
    )
    server.stats(reset=True)
    server_cpu = server.cpu_seconds()
    started, cpu = time.perf_counter(), time.process_time()
    batch: BatchResult = sampler.process_batch(samples)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    after = server.stats()
    for policy in policies:
        policy.close()

    def lookup(index: int, model: str) -> float | None:
        match sealed(batch.results[index].log_probs[model]):
            case Success(value):
                return value
            case Failure(error):
                raise SystemExit(f"{label}: {samples[index].sample_id}/{model} failed: {error.describe()}")

    check_exact(samples, lookup)
    accounting = batch.accounting()
    assert accounting.balanced and accounting.succeeded == accounting.total
    return Run(
        label=label,
        samples=len(samples),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        requests=after["requests"],
        max_in_flight=after["max_in_flight"],
        server_cpu_seconds=server.cpu_seconds() - server_cpu,
    )


def run_lean(server: ServerProcess, samples: Sequence[Sample], *, in_flight: int, batch_size: int, label: str) -> Run:
    """A reference, not a design: bare aiohttp with a semaphore, JSON decoding only
    (no scoring, no sampler). It shows what the HTTP client alone costs here."""
    import asyncio

    import aiohttp

    prompts = [(model, sample.context + sample.response) for sample in samples for model in POLICIES]
    groups = [
        (model, [text for _, text in chunk])
        for model in POLICIES
        for chunk in _chunks([p for p in prompts if p[0] == model], batch_size)
    ]

    async def main() -> None:
        limit = asyncio.Semaphore(in_flight)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session:

            async def one(model: str, texts: list[str]) -> None:
                body = encode_request(request_payload(model=model, prompts=texts, temperature=1.0, max_tokens=0))
                async with limit, session.post(
                    server.base_url + "/completions", data=body, headers={"Content-Type": "application/json"}
                ) as answer:
                    json.loads(await answer.read())

            await asyncio.gather(*(one(model, texts) for model, texts in groups))

    server.stats(reset=True)
    server_cpu = server.cpu_seconds()
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(main())
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    after = server.stats()
    return Run(
        label=label,
        samples=len(samples),
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        requests=after["requests"],
        max_in_flight=after["max_in_flight"],
        server_cpu_seconds=server.cpu_seconds() - server_cpu,
    )


def _chunks(items: Sequence[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def report(runs: Sequence[Run]) -> None:
    baseline = runs[0].samples_per_second
    print(f"{'design':<42} {'samples/s':>10} {'x threaded':>11} {'requests':>9} "
          f"{'peak in flight':>15} {'client CPU s/1k req':>20} {'server CPU s/1k req':>20}")
    for run in runs:
        print(
            f"{run.label:<42} {run.samples_per_second:>10.1f} {run.samples_per_second / baseline:>10.1f}x "
            f"{run.requests:>9} {run.max_in_flight:>15} {run.cpu_per_1000_requests:>20.3f}"
            f" {run.server_cpu_per_1000_requests:>20.3f}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--skip-threaded", action="store_true", help="for quick runs only")
    parser.add_argument("--skip-reference", action="store_true", help="omit the bare-aiohttp reference rows")
    args = parser.parse_args(argv)
    samples = make_samples(args.samples)
    server = ServerProcess(args.latency)
    try:
        runs = []
        if not args.skip_threaded:
            runs.append(run_threaded(server, samples))
        runs.append(run_ours(server, samples, in_flight=64, batch_size=1, label="ours, unbatched, 64 in flight"))
        runs.append(run_ours(server, samples, in_flight=256, batch_size=1, label="ours, unbatched, 256 in flight"))
        runs.append(run_ours(server, samples, in_flight=64, batch_size=8, label="ours, batched 8/request, <=64 per policy"))
        if not args.skip_reference:
            runs.append(run_lean(server, samples, in_flight=256, batch_size=1, label="reference: bare aiohttp, 256 in flight"))
            runs.append(run_lean(server, samples, in_flight=64, batch_size=8, label="reference: bare aiohttp, batched 8"))
    finally:
        server.close()
    print(f"{args.samples} samples x {len(POLICIES)} policies, {args.latency * 1000:.0f} ms latency per request")
    report(runs)
    if not args.skip_threaded:
        unbatched = max(run.samples_per_second for run in runs[1:3]) / runs[0].samples_per_second
        batched = runs[3].samples_per_second / runs[0].samples_per_second
        print(f"targets: unbatched >= 15x ({unbatched:.1f}x: {'met' if unbatched >= 15 else 'MISSED'}), "
              f"batched >= 40x ({batched:.1f}x: {'met' if batched >= 40 else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
