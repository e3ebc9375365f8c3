"""A lean fake vLLM ``/v1/completions`` server for load tests and benchmarks.

It answers exactly what ``cje_fp.testing`` answers for a prompt without
fault markers (same tokens, log probs, ``text_offset``, ``top_logprobs``,
choices for a list of prompts, usage), but spends far less CPU per request, so
that a benchmark on a small machine measures the client rather than the
server: a bare ``asyncio.Protocol`` speaking HTTP/1.1 with keep-alive, the
request decoded with msgspec, each (model, prompt) choice rendered once and
then served from a cache, the latency a timer rather than a task, and uvloop
when it is installed. It injects no faults (a prompt carrying a fault marker
gets a 400: use the full fake server for those) and does not pipeline (a
connection's next request is read once the previous answer is written).

Run it in a background thread (``with LeanServer(FakeServerConfig(...)) as
server``) or as a process (``python -m benchmarks.lean_server --latency
0.05 --model m``, which prints its base URL on the first line). ``GET /stats``
(``?reset=1`` to zero the counts) and ``GET /v1/models`` are served as by the
full server.

>>> import json, urllib.request
>>> from cje_fp.testing import FakeServerConfig
>>> with LeanServer(FakeServerConfig(models=("m",))) as server:
...     request = urllib.request.Request(server.base_url + "/completions", method="POST",
...         data=b'{"model": "m", "prompt": "Hi there", "echo": true, "logprobs": 1, "max_tokens": 0}')
...     with urllib.request.urlopen(request) as answer:
...         json.loads(answer.read())["choices"][0]["logprobs"]["tokens"]
['Hi', ' there']
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import signal
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Final, cast

import msgspec

from cje_fp.testing import CONTEXT_LENGTH_MESSAGE, FakeServerConfig, ServerStats, tokenize
from cje_fp.testing._background import BackgroundServer, listening_socket
from cje_fp.testing._choice import choice as render_choice
from cje_fp.testing._state import ServerState

_REASONS: Final = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found", 405: b"Method Not Allowed"}
_FAULT_PREFIX: Final = "<<fault:"
_MAX_HEAD: Final = 65536


def _json_error(status: int, message: str) -> tuple[int, bytes]:
    return status, msgspec.json.encode({"error": {"message": message, "code": status}})


class _Counts:
    """Requests, prompts and in-flight counts (touched on the server's loop only)."""

    def __init__(self) -> None:
        self.requests = 0
        self.prompts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.statuses: Counter[int] = Counter()

    def stats(self) -> ServerStats:
        return ServerStats(
            requests=self.requests,
            prompts=self.prompts,
            in_flight=self.in_flight,
            max_in_flight=self.max_in_flight,
            statuses=dict(self.statuses),
        )

    def reset(self) -> None:
        self.requests = self.prompts = self.max_in_flight = 0
        self.statuses.clear()


class LeanApp:
    """Request bodies in, (status, JSON body) out; choices cached per prompt."""

    def __init__(self, config: FakeServerConfig) -> None:
        if config.noise:
            raise ValueError("the lean server serves cached answers: noise must be 0")
        self.config = config
        self.counts = _Counts()
        self._state = ServerState(config)
        # (model, prompt, max_tokens, echo) -> (the choice's JSON after its "index", prompt tokens)
        self._choices: dict[tuple[str, str, int, bool], tuple[bytes, int]] = {}
        self._models = frozenset(config.models)

    def _cached_choice(self, model: str, prompt: str, max_tokens: int, echo: bool) -> tuple[bytes, int]:
        key = (model, prompt, max_tokens, echo)
        cached = self._choices.get(key)
        if cached is None:
            choice = render_choice(self._state, 0, prompt, model=model, echo=echo, max_tokens=max_tokens, serial=0)
            del choice["index"]
            cached = (msgspec.json.encode(choice)[1:], len(tokenize(prompt)))
            self._choices[key] = cached
        return cached

    def completions(self, raw: bytes, authorization: str | None) -> tuple[int, bytes, int]:
        """(status, body, number of prompts) for one ``POST /v1/completions``."""
        config = self.config
        if config.api_key is not None:
            presented = (authorization or "").removeprefix("Bearer ")
            if presented != config.api_key:
                return (*_json_error(401, f"Incorrect API key provided: {presented}"), 0)
        try:
            body = msgspec.json.decode(raw)
        except msgspec.DecodeError:
            return (*_json_error(400, "request body is not JSON"), 0)
        if not isinstance(body, dict):
            return (*_json_error(400, "request body is not an object"), 0)
        model = body.get("model")
        if not isinstance(model, str) or model not in self._models:
            return (*_json_error(404, f"The model `{model}` does not exist."), 0)
        prompt = body.get("prompt")
        prompts = [prompt] if isinstance(prompt, str) else prompt
        if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
            return (*_json_error(400, "prompt must be a string or a list of strings"), 0)
        if any(_FAULT_PREFIX in p for p in prompts):
            return (*_json_error(400, "the lean server injects no faults: use cje_fp.testing"), len(prompts))
        max_tokens = body.get("max_tokens", 16)
        if not isinstance(max_tokens, int) or max_tokens < 0:
            return (*_json_error(400, "max_tokens must be a non-negative integer"), len(prompts))
        echo = bool(body.get("echo", False))
        parts: list[bytes] = []
        n_prompt = 0
        for index, text in enumerate(prompts):
            tail, n_tokens = self._cached_choice(model, text, max_tokens, echo)
            if config.max_prompt_tokens is not None and n_tokens > config.max_prompt_tokens:
                limit = config.max_prompt_tokens
                return (*_json_error(400, CONTEXT_LENGTH_MESSAGE.format(limit=limit, tokens=limit + 1)), len(prompts))
            parts.append(b'{"index":%d,%s' % (index, tail))
            n_prompt += n_tokens
        completion_tokens = max_tokens * len(prompts)
        document = b"".join(
            (
                b'{"id":"cmpl-fake-%d","object":"text_completion","created":0,"model":' % self.counts.requests,
                msgspec.json.encode(model),
                b',"choices":[',
                b",".join(parts),
                b'],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}'
                % (n_prompt, completion_tokens, n_prompt + completion_tokens),
            )
        )
        return 200, document, len(prompts)

    def models(self) -> bytes:
        return msgspec.json.encode({"object": "list", "data": [{"id": m, "object": "model"} for m in self.config.models]})


def _response(status: int, body: bytes, *, close: bool) -> bytes:
    reason = _REASONS.get(status, b"Error")
    connection = b"close" if close else b"keep-alive"
    return b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: %s\r\n\r\n%s" % (
        status,
        reason,
        len(body),
        connection,
        body,
    )


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time, in order."""

    def __init__(self, app: LeanApp, loop: asyncio.AbstractEventLoop) -> None:
        self._app = app
        self._loop = loop
        self._latency = app.config.latency
        self._buffer = bytearray()
        self._busy = False
        self._transport: asyncio.WriteTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (uvloop's does not subclass ``asyncio.Transport``, but it is one).
        self._transport = cast(asyncio.WriteTransport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._next_request()

    def _next_request(self) -> None:
        buffer = self._buffer
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(buffer) > _MAX_HEAD:
                self._finish(400, b"{}", close=True)
            return
        head = bytes(buffer[:head_end]).decode("latin-1")
        request_line, _, header_text = head.partition("\r\n")
        headers: dict[str, str] = {}
        for line in header_text.split("\r\n"):
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        try:
            length = int(headers.get("content-length", "0"))
            method, target, version = request_line.split(" ")
        except ValueError:
            self._finish(400, b"{}", close=True)
            return
        if "transfer-encoding" in headers:
            self._finish(400, b'{"error":{"message":"chunked bodies are not supported","code":400}}', close=True)
            return
        if len(buffer) < head_end + 4 + length:
            return
        body = bytes(buffer[head_end + 4 : head_end + 4 + length])
        del buffer[: head_end + 4 + length]
        close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
        self._busy = True
        self._dispatch(method, target, body, headers.get("authorization"), close)

    def _dispatch(self, method: str, target: str, body: bytes, authorization: str | None, close: bool) -> None:
        app = self._app
        path, _, query = target.partition("?")
        if path == "/v1/completions" and method == "POST":
            counts = app.counts
            counts.requests += 1
            counts.in_flight += 1
            counts.max_in_flight = max(counts.max_in_flight, counts.in_flight)
            status, document, n_prompts = app.completions(body, authorization)
            counts.prompts += n_prompts
            if self._latency:
                self._loop.call_later(self._latency, self._answer, status, document, close)
            else:
                self._answer(status, document, close)
        elif path == "/stats" and method == "GET":
            stats = app.counts.stats()
            document = msgspec.json.encode(
                {
                    "requests": stats.requests,
                    "prompts": stats.prompts,
                    "in_flight": stats.in_flight,
                    "max_in_flight": stats.max_in_flight,
                    "statuses": {str(k): v for k, v in stats.statuses.items()},
                }
            )
            if "reset=" in query:
                app.counts.reset()
            self._finish(200, document, close=close)
        elif path == "/v1/models" and method == "GET":
            self._finish(200, app.models(), close=close)
        else:
            self._finish(*_json_error(404 if method in ("GET", "POST") else 405, f"no route {method} {path}"), close=close)

    def _answer(self, status: int, document: bytes, close: bool) -> None:
        counts = self._app.counts
        counts.in_flight -= 1
        counts.statuses[status] += 1
        self._finish(status, document, close=close)

    def _finish(self, status: int, document: bytes, *, close: bool) -> None:
        transport = self._transport
        self._busy = False
        if transport is None:
            return
        transport.write(_response(status, document, close=close))
        if close:
            transport.close()
            self._transport = None
        elif self._buffer:
            self._next_request()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """uvloop's loop when it is installed, else asyncio's."""
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return asyncio.new_event_loop
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def _serve(app: LeanApp, sock: socket.socket, stop: asyncio.Event, ready: threading.Event | None) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(app, loop), sock=sock, backlog=1024)
    try:
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        server.close()


class LeanServer(BackgroundServer):
    """The lean server in a background thread, on 127.0.0.1 and a free port."""

    thread_name = "lean-llm-server"

    def __init__(self, config: FakeServerConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.app = LeanApp(config or FakeServerConfig())

    async def serve(self, sock: socket.socket, stop: asyncio.Event, ready: threading.Event) -> None:
        """Serve the lean completions API."""
        await _serve(self.app, sock, stop, ready)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the first line printed is the base URL."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lean_server", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--model", action="append", help="a served model (repeatable)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    parser.add_argument("--no-uvloop", action="store_true", help="use asyncio's own event loop")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not args.host.startswith("127.") and args.host != "localhost":
        print("the lean server listens on loopback addresses only", file=sys.stderr)
        return 2
    config = FakeServerConfig(models=tuple(args.model or ["fake-model"]), latency=args.latency)
    sock = listening_socket(args.host, args.port)
    print(f"http://{args.host}:{sock.getsockname()[1]}/v1", flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await _serve(LeanApp(config), sock, stop, None)

    factory = asyncio.new_event_loop if args.no_uvloop else _loop_factory()
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
