"""Throughput of the HTTP teacher-forcing backend against its own ceiling, bare aiohttp.

Starts a fake vLLM-shaped server in a subprocess on 127.0.0.1 with 50 ms
latency per request (by default the lean one, ``benchmarks.lean_server``:
the same answers as the fault-injecting ``cje_fp.testing`` at a fraction
of its CPU, so that on a 2-core machine shared by client and server the client
is what is measured; ``--full-server`` uses the aiohttp one). Before any
measurement, one batched request per policy has the server render every
prompt's answer once, so each design meets the same server. Then, for each of
``--rounds`` rounds, it scores samples x 5 policies four ways, back to back
(3,000 samples unbatched and 15,000 batched, so that every run lasts a few
seconds: a run of half a second is at the mercy of a neighbour's burst):

1. ``OpenAICompatiblePolicy`` x 5 as ``score`` calls them (``guarded``: the
   configured retries around the run's stop switch) through
   ``MultiTargetSampler``, unbatched, 256 requests in flight per policy and
   256 cells in flight;
2. bare aiohttp (the backend's HTTP client, no sampler, no scoring): 256
   workers on one session set up as the backend's, one prompt per request,
   JSON decoding only: the ceiling of any design built on that client;
3. ours batched: 8 prompts per request, at most 64 requests in flight per
   policy, 2,048 cells in flight (256 requests' worth);
4. bare aiohttp, batched 8, 256 in flight.

Prints every run (samples/s, requests, the server's peak of requests in
flight, the client's CPU seconds per 1,000 requests: ``time.process_time`` of
this process only, the server's CPU too), the load average before and after,
ours/bare per round and its median, and whether the targets are met: ours at
least 90% of bare unbatched and 80% batched (medians of the rounds, so that a
neighbour's burst in one round does not decide). Compare ratios within one run
only, on a quiet machine (a busy one is said so). ``--threaded`` adds the
incumbent's design (10 threads with blocking ``requests.Session``s) for the
record. Every cell must succeed with the exact expected log prob, or the script
fails.

    python benchmarks/bench_http.py [--samples 3000] [--batched-samples 15000] [--rounds 5] [--threaded]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from pathlib import Path

import aiohttp
import attrs
import msgspec
import requests
import yarl
from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import (
    encode_request,
    parse_completions,
    request_payload,
)
from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.backends.openai._teacher_forcing import score_response
from cje_fp.errors._sealed import sealed
from cje_fp.scoring import BatchResult, MultiTargetSampler, Sample, ScoringError, ScoringSummary, score_file
from cje_fp.scoring._config import RetrySettings
from cje_fp.scoring._stopping import RunStop, guarded
from cje_fp.testing import expected_log_prob

POLICIES = tuple(f"policy-{k}" for k in range(5))
THREADS = 10
#: Ours as a fraction of bare aiohttp (the HTTP client's own ceiling), in the same run.
UNBATCHED_TARGET = 0.90
BATCHED_TARGET = 0.80


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

    def __init__(self, latency: float, module: str) -> None:
        command = [sys.executable, "-m", module, "--latency", str(latency)]
        for model in POLICIES:
            command += ["--model", model]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError(f"the fake server did not start: {self.base_url!r}")
        self._wait_ready()

    def _wait_ready(self) -> None:
        for _ in range(100):
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.05)
        self.close()
        raise RuntimeError("the fake server does not answer")

    def stats(self, *, reset: bool = False) -> dict[str, int]:
        url = self.base_url.removesuffix("/v1") + "/stats" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=5) as answer:
            document: dict[str, int] = json.load(answer)
        return document

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (Linux ``/proc``; NaN elsewhere)."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
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


def request_body(model: str, prompts: Sequence[str]) -> bytes:
    return encode_request(request_payload(model=model, prompts=prompts, temperature=1.0, max_tokens=0))


def prime(server: ServerProcess, samples: Sequence[Sample]) -> None:
    """Have the server render every answer once (one request per policy), unmeasured."""
    with requests.Session() as session:
        session.trust_env = False
        for model in POLICIES:
            body = request_body(model, [sample.context + sample.response for sample in samples])
            answer = session.post(
                server.base_url + "/completions", data=body, headers={"Content-Type": "application/json"}, timeout=600
            )
            answer.raise_for_status()


def check_exact(samples: Sequence[Sample], lookup: Callable[[int, str], float | None]) -> None:
    """Every cell present and equal to the server's exact answer."""
    for index, sample in enumerate(samples):
        for model in POLICIES:
            expected = expected_log_prob(sample.context, sample.response, model=model)
            got = lookup(index, model)
            if got != expected:
                raise SystemExit(f"wrong log prob for {sample.sample_id}/{model}: {got} != {expected}")


def measured(server: ServerProcess, label: str, samples: int, work: Callable[[], None]) -> Run:
    """Run ``work`` and measure wall time, this process's CPU, and the server's counts."""
    server.stats(reset=True)
    server_cpu = server.cpu_seconds()
    started, cpu = time.perf_counter(), time.process_time()
    work()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    after = server.stats()
    return Run(
        label=label,
        samples=samples,
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        requests=after["requests"],
        max_in_flight=after["max_in_flight"],
        server_cpu_seconds=server.cpu_seconds() - server_cpu,
    )


def run_threaded(server: ServerProcess, samples: Sequence[Sample]) -> Run:
    """The incumbent: 10 threads, blocking client with connection reuse, a sample's policies in sequence."""
    url = server.base_url + "/completions"
    results: dict[tuple[int, str], float] = {}
    work: queue.Queue[int] = queue.Queue()
    for index in range(len(samples)):
        work.put(index)
    lock = threading.Lock()
    failures: list[str] = []

    def worker() -> None:
        with requests.Session() as session:
            session.trust_env = False
            while not failures:
                try:
                    index = work.get_nowait()
                except queue.Empty:
                    break
                sample = samples[index]
                for model in POLICIES:
                    body = request_body(model, [sample.context + sample.response])
                    answer = session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
                    echo = parse_completions(answer.content, n_prompts=1, request_hash="")[0]
                    scored = echo.bind(partial(score_response, context=sample.context, response=sample.response))
                    match sealed(scored):
                        case Success(value):
                            with lock:
                                results[(index, model)] = value.log_prob
                        case Failure(error):
                            failures.append(f"threaded baseline failed: {error.describe()}")
                            return

    def run() -> None:
        threads = [threading.Thread(target=worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    run_ = measured(server, f"threaded ({THREADS} threads, requests.Session)", len(samples), run)
    if failures:
        raise SystemExit(failures[0])
    check_exact(samples, lambda index, model: results.get((index, model)))
    return run_


def run_ours(
    server: ServerProcess,
    samples: Sequence[Sample],
    *,
    in_flight: int,
    batch_size: int,
    concurrency: int,
    label: str,
) -> Run:
    """``OpenAICompatiblePolicy`` x 5 as ``score`` calls them, through ``MultiTargetSampler``
    (``concurrency`` cells in flight)."""
    backends = [
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
    policies = guarded(backends, RetrySettings(), RunStop())
    sampler = MultiTargetSampler(policies=policies, base_policy_name=POLICIES[0], max_concurrency=concurrency)
    batches: list[BatchResult] = []
    run = measured(server, label, len(samples), lambda: batches.append(sampler.process_batch(samples)))
    for backend in backends:
        backend.close()
    batch = batches[0]

    def lookup(index: int, model: str) -> float | None:
        match sealed(batch.results[index].log_probs[model]):
            case Success(value):
                return value
            case Failure(error):
                raise SystemExit(f"{label}: {samples[index].sample_id}/{model} failed: {error.describe()}")

    check_exact(samples, lookup)
    accounting = batch.accounting()
    assert accounting.balanced and accounting.succeeded == accounting.total
    return run


def run_score_file(server: ServerProcess, samples: Sequence[Sample], *, label: str) -> Run:
    """``score_file`` end to end, as ``cje-fp score`` runs (no probe, no progress bar): the
    batched design plus reading the input, the per-cell bookkeeping and the output rows."""
    with tempfile.TemporaryDirectory() as folder:
        data, config, out = Path(folder, "data.jsonl"), Path(folder, "config.toml"), Path(folder, "out.jsonl")
        data.write_text(
            "".join(
                json.dumps({"prompt": s.context, "response": s.response, "prompt_id": s.sample_id}) + "\n"
                for s in samples
            )
        )
        policies = "".join(f'[policies.{model}]\nmodel = "{model}"\n' for model in POLICIES)
        config.write_text(
            f'base_policy = "{POLICIES[0]}"\n[defaults]\nbase_url = "{server.base_url}"\ntimeout = 60\n'
            f"batch_size = 8\nmax_in_flight = 64\n[run]\nmax_concurrency = 2048\n{policies}"
        )
        summaries: list[Result[ScoringSummary, ScoringError]] = []
        run = measured(
            server, label, len(samples), lambda: summaries.append(score_file(config, data, out, probe=False))
        )
        match sealed(summaries[0]):
            case Success(summary) if summary.succeeded == len(samples) * len(POLICIES):
                pass
            case other:
                raise SystemExit(f"{label}: {other}")
        rows = [json.loads(line) for line in out.read_text().splitlines()]

    def lookup(index: int, model: str) -> float | None:
        row = rows[index]
        value = row["base_policy_logprob"] if model == POLICIES[0] else row["target_policy_logprobs"][model]
        return float(value) if value is not None else None

    check_exact(samples, lookup)
    return run


def _groups(samples: Sequence[Sample], batch_size: int) -> list[tuple[str, list[str]]]:
    texts = [sample.context + sample.response for sample in samples]
    return [(model, texts[i : i + batch_size]) for model in POLICIES for i in range(0, len(texts), batch_size)]


async def drive(bodies: Sequence[bytes], send: Callable[[bytes], Awaitable[bytes]], in_flight: int) -> None:
    """Send every body once with ``in_flight`` workers, decoding each answer's JSON."""
    pending = iter(bodies)

    async def worker() -> None:
        for body in pending:  # a shared iterator: each body is sent once
            msgspec.json.decode(await send(body))

    await asyncio.gather(*(worker() for _ in range(in_flight)))


async def bare_aiohttp(url: str, bodies: Sequence[bytes], in_flight: int) -> None:
    """``bodies`` over one aiohttp session set up as the backend sets up its own
    (timeout, no cookie jar, no redirects), with no sampler and no scoring."""
    target = yarl.URL(url)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=in_flight, limit_per_host=0),
        timeout=aiohttp.ClientTimeout(total=60.0),
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as session:

        async def send(body: bytes) -> bytes:
            async with session.post(target, data=body, headers=headers, allow_redirects=False) as answer:
                return await answer.read()

        await drive(bodies, send, in_flight)


def run_bare_aiohttp(
    server: ServerProcess, samples: Sequence[Sample], *, in_flight: int, batch_size: int, label: str
) -> Run:
    """A reference, not a design: what the HTTP client alone costs here."""
    bodies = [request_body(model, texts) for model, texts in _groups(samples, batch_size)]
    url = server.base_url + "/completions"
    return measured(server, label, len(samples), lambda: asyncio.run(bare_aiohttp(url, bodies, in_flight)))


def report(runs: Sequence[Run]) -> None:
    print(
        f"{'design':<52} {'samples/s':>10} {'requests':>9} "
        f"{'peak in flight':>15} {'client CPU s/1k req':>20} {'server CPU s/1k req':>20}"
    )
    for run in runs:
        print(
            f"{run.label:<52} {run.samples_per_second:>10.1f} "
            f"{run.requests:>9} {run.max_in_flight:>15} {run.cpu_per_1000_requests:>20.3f}"
            f" {run.server_cpu_per_1000_requests:>20.3f}"
        )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


@attrs.frozen(kw_only=True)
class Ratio:
    """Ours against bare aiohttp, round by round (each pair measured back to back)."""

    label: str
    target: float
    ratios: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def verdict(self) -> str:
        rounds = ", ".join(f"{ratio:.0%}" for ratio in self.ratios)
        met = "met" if self.median >= self.target else "MISSED"
        return f"{self.label}: ours/bare = {self.median:.1%} (median of rounds {rounds}); target >= {self.target:.0%}: {met}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--samples", type=int, default=3000, help="samples of the unbatched runs")
    parser.add_argument(
        "--batched-samples",
        type=int,
        default=15000,
        help="samples of the batched runs (five times as many: each run then lasts seconds, as an unbatched one does)",
    )
    parser.add_argument("--rounds", type=int, default=9, help="back-to-back pairs (ours, bare) per mode")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--full-server", action="store_true", help="serve with the fault-injecting aiohttp server")
    parser.add_argument("--threaded", action="store_true", help="also measure the incumbent's threaded design (+1 min)")
    parser.add_argument(
        "--score-file", action="store_true", help="also measure score_file end to end each round (for the record, no target)"
    )
    args = parser.parse_args(argv)
    many = make_samples(max(args.samples, args.batched_samples))
    samples, batched_samples = many[: args.samples], many[: args.batched_samples]
    module = "cje_fp.testing" if args.full_server else "benchmarks.lean_server"
    load_before = _load()
    server = ServerProcess(args.latency, module)
    runs: list[Run] = []
    unbatched: list[float] = []
    batched: list[float] = []
    end_to_end: list[float] = []
    try:
        prime(server, many)
        if args.threaded:
            runs.append(run_threaded(server, samples))
        for round_ in range(1, args.rounds + 1):
            ours = run_ours(
                server, samples, in_flight=256, batch_size=1, concurrency=256,
                label=f"[{round_}] ours, unbatched, 256 in flight",
            )
            bare = run_bare_aiohttp(
                server, samples, in_flight=256, batch_size=1, label=f"[{round_}] bare aiohttp, unbatched, 256 in flight"
            )
            ours_batched = run_ours(
                server, batched_samples, in_flight=64, batch_size=8, concurrency=2048,
                label=f"[{round_}] ours, batched 8, <=64/policy, 2048 cells",
            )
            bare_batched = run_bare_aiohttp(
                server, batched_samples, in_flight=256, batch_size=8, label=f"[{round_}] bare aiohttp, batched 8, 256 in flight"
            )
            runs += [ours, bare, ours_batched, bare_batched]
            unbatched.append(ours.samples_per_second / bare.samples_per_second)
            batched.append(ours_batched.samples_per_second / bare_batched.samples_per_second)
            if args.score_file:
                label = f"[{round_}] score_file, batched 8, <=64/policy, 2048 cells"
                whole = run_score_file(server, batched_samples, label=label)
                runs.append(whole)
                end_to_end.append(whole.samples_per_second / bare_batched.samples_per_second)
    finally:
        server.close()
    print(
        f"{args.samples} samples unbatched and {args.batched_samples} batched x {len(POLICIES)} policies, "
        f"{args.latency * 1000:.0f} ms latency per request, server {module}, {args.rounds} rounds"
    )
    load_after = _load()
    print(f"before: {load_before}; after: {load_after}")
    report(runs)
    ratios = [
        Ratio(label="unbatched", target=UNBATCHED_TARGET, ratios=tuple(unbatched)),
        Ratio(label="batched", target=BATCHED_TARGET, ratios=tuple(batched)),
    ]
    for ratio in ratios:
        print(ratio.verdict())
    if end_to_end:
        rounds = ", ".join(f"{ratio:.0%}" for ratio in end_to_end)
        print(f"score_file end to end / bare batched = {statistics.median(end_to_end):.1%} (rounds {rounds}; no target)")
    quiet = os.getloadavg()[0] < 1.5
    print(
        "targets, same run: "
        + ("all met" if all(ratio.median >= ratio.target for ratio in ratios) else "MISSED")
        + ("" if quiet else f" (machine busy: {load_after}; rerun quietly before concluding)")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
