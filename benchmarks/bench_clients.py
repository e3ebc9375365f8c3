"""Which async HTTP client: CPU per request and throughput of the candidates, side by side.

The issue asks for the HTTP client to be chosen by measurement. This starts the
lean fake server (``benchmarks.lean_server``) in a subprocess on 127.0.0.1
with 50 ms latency, and for each client that is installed sends the same
N samples x 5 policies unbatched requests with 256 in flight (256 workers on
one pooled client, a 60 s timeout, no redirects), decoding each answer with
msgspec. It prints samples/s, the ratio to the threaded design's limit of 40
samples/s (10 threads x 20 requests/s / 5 policies), and the client's CPU
microseconds per request (``time.process_time``: every thread of this
process, so a client that works in native threads is charged for them).

Candidates: aiohttp (the backend's client, always installed), and, when
installed, aiosonic, curl_cffi, httpx, niquests, pyreqwest. The others are not
dependencies: ``pip install aiosonic curl_cffi httpx niquests pyreqwest`` to
compare them. Each client is measured ``--rounds`` times, interleaved, because
this machine's speed drifts by tens of percent between runs.

    python benchmarks/bench_clients.py [--samples 2000] [--rounds 2] [--clients aiohttp,httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any

from bench_http import (
    POLICIES,
    ServerProcess,
    bare_aiohttp,
    drive,
    make_samples,
    prime,
    request_body,
)

IN_FLIGHT = 256
TIMEOUT = 60.0
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


async def with_aiohttp(url: str, bodies: Sequence[bytes]) -> None:
    await bare_aiohttp(url, bodies, IN_FLIGHT)


async def with_aiosonic(url: str, bodies: Sequence[bytes]) -> None:
    import aiosonic
    from aiosonic.connectors import TCPConnector
    from aiosonic.pools import PoolConfig
    from aiosonic.timeout import Timeouts

    client = aiosonic.HTTPClient(connector=TCPConnector(pool_configs={":default": PoolConfig(size=IN_FLIGHT)}))
    timeouts = Timeouts(request_timeout=TIMEOUT)

    async def send(body: bytes) -> bytes:
        answer = await client.post(url, data=body, headers=HEADERS, timeouts=timeouts)
        content: bytes = await answer.content()
        return content

    await drive(bodies, send, IN_FLIGHT)


async def with_curl_cffi(url: str, bodies: Sequence[bytes]) -> None:
    from curl_cffi.requests import AsyncSession

    async with AsyncSession(max_clients=IN_FLIGHT, timeout=TIMEOUT) as session:

        async def send(body: bytes) -> bytes:
            answer = await session.post(url, data=body, headers=HEADERS, allow_redirects=False)
            content: bytes = answer.content
            return content

        await drive(bodies, send, IN_FLIGHT)


async def with_httpx(url: str, bodies: Sequence[bytes]) -> None:
    import httpx

    limits = httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT)
    async with httpx.AsyncClient(limits=limits, timeout=TIMEOUT) as client:

        async def send(body: bytes) -> bytes:
            return (await client.post(url, content=body, headers=HEADERS)).content

        await drive(bodies, send, IN_FLIGHT)


async def with_niquests(url: str, bodies: Sequence[bytes]) -> None:
    import niquests

    async with niquests.AsyncSession(pool_maxsize=IN_FLIGHT) as session:

        async def send(body: bytes) -> bytes:
            answer = await session.post(url, data=body, headers=HEADERS, timeout=TIMEOUT, allow_redirects=False)
            content: bytes = answer.content or b""
            return content

        await drive(bodies, send, IN_FLIGHT)


async def with_pyreqwest(url: str, bodies: Sequence[bytes]) -> None:
    from pyreqwest.client import ClientBuilder

    builder = ClientBuilder().max_connections(IN_FLIGHT).timeout(timedelta(seconds=TIMEOUT))
    async with builder.build() as client:

        async def send(body: bytes) -> bytes:
            request = client.post(url).body_bytes(body).headers(HEADERS).build()
            answer = await request.send()
            content: bytes = await answer.bytes()
            return content

        await drive(bodies, send, IN_FLIGHT)


CLIENTS: dict[str, tuple[str, Callable[[str, Sequence[bytes]], Awaitable[None]]]] = {
    "aiohttp": ("aiohttp", with_aiohttp),
    "aiosonic": ("aiosonic", with_aiosonic),
    "curl_cffi": ("curl_cffi", with_curl_cffi),
    "httpx": ("httpx", with_httpx),
    "niquests": ("niquests", with_niquests),
    "pyreqwest": ("pyreqwest", with_pyreqwest),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated, from: " + ", ".join(CLIENTS))
    args = parser.parse_args(argv)
    wanted = [name.strip() for name in args.clients.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in CLIENTS]
    if unknown:
        parser.error(f"unknown client(s) {', '.join(unknown)}; choose from {', '.join(CLIENTS)}")
    installed = [name for name in wanted if importlib.util.find_spec(CLIENTS[name][0]) is not None]
    for name in wanted:
        if name not in installed:
            print(f"{name}: not installed, skipped (pip install {name})")
    samples = make_samples(args.samples)
    bodies = [request_body(model, [sample.context + sample.response]) for model in POLICIES for sample in samples]
    server = ServerProcess(args.latency, "benchmarks.lean_server")
    measured: dict[str, list[tuple[float, float, int]]] = {name: [] for name in installed}
    try:
        prime(server, samples)
        url = server.base_url + "/completions"
        for _ in range(args.rounds):
            for name in installed:
                server.stats(reset=True)
                started, cpu = time.perf_counter(), time.process_time()
                try:
                    asyncio.run(CLIENTS[name][1](url, bodies))
                except Exception as error:
                    print(f"{name}: failed: {type(error).__name__}: {str(error)[:200]}")
                    continue
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
                stats: dict[str, Any] = server.stats()
                if stats["requests"] != len(bodies):
                    print(f"{name}: the server saw {stats['requests']} requests, not {len(bodies)}")
                    continue
                measured[name].append((args.samples / seconds, 1e6 * cpu_seconds / len(bodies), stats["max_in_flight"]))
    finally:
        server.close()
    limit = 40.0
    print(
        f"{args.samples} samples x {len(POLICIES)} policies unbatched, {IN_FLIGHT} in flight, "
        f"{args.latency * 1000:.0f} ms latency; median of {args.rounds} interleaved round(s)"
    )
    print(f"{'client':<12} {'samples/s':>10} {'x 40/s':>8} {'CPU us/request':>15} {'peak in flight':>15}")
    for name, runs in measured.items():
        if not runs:
            continue
        rate = statistics.median(run[0] for run in runs)
        cpu = statistics.median(run[1] for run in runs)
        peak = max(run[2] for run in runs)
        print(f"{name:<12} {rate:>10.1f} {rate / limit:>7.1f}x {cpu:>15.0f} {peak:>15}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
