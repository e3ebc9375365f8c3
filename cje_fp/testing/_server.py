"""A fake vLLM-shaped ``/v1/completions`` server with deterministic faults.

Run it in a background thread (``with FakeServer() as server: server.base_url``)
or as a process (``python -m cje_fp.testing --latency 0.05``, which
prints its base URL on the first line). It listens on 127.0.0.1 only.

It tokenizes with a simple deterministic tokenizer (``tokenize``: words with
their leading spaces, single punctuation marks, runs of newlines, special
tokens such as ``<|eot_id|>`` whole) and gives each token a log prob that depends only on the
model and the token (``token_log_prob``), so a test knows the exact answer:
``expected_log_prob(context, response, model=...)``. The first token's log
prob is null, as in OpenAI-style servers. ``prompt`` may be a list.

Faults are asked for inside a prompt with a marker, ``fault_marker(kind)``
(``<<fault:kind>>``, or ``<<fault:kind*N>>`` to fail only the first N requests
carrying that prompt). Request faults fail the whole request; prompt faults
(quirks) change only that prompt's choice:

- request: ``rate_limit`` (429 + ``Retry-After``), ``server_error`` (500),
  ``unavailable`` (503), ``hang`` (no answer until the server stops or
  ``hang_seconds``), ``drop`` (connection closed), ``malformed_json`` (a 200
  whose body is ``{"choices": [``), ``truncated_body`` (a 200 carrying the first
  half of the real answer, its length announced as such), ``missing_choices``, ``context_length`` (400 with vLLM's message),
  ``bad_request`` (400), ``unprocessable`` (422);
- prompt: ``missing_logprobs``, ``nan``, ``positive``, ``null_logprob``,
  ``short_logprobs``, ``echo_crlf`` and ``echo_whitespace`` (the server
  normalises the prompt), ``echo_mismatch``, ``bpe_tokens`` (``Ġ`` for spaces,
  no ``text_offset``), ``bytes_tokens`` (non-ASCII tokens as ``bytes:\\xNN``,
  no ``text_offset``), ``no_offsets``, ``bos`` (a ``<s>`` token first, offsets
  shifted, as vLLM does).

Faults can also be drawn without markers: ``FakeServerConfig(content_faults={"nan": 0.05})``
gives 5% of prompts the ``nan`` quirk, chosen by a hash of each prompt's text (and
``fault_seed``), so a prompt draws the same fault in every run, in any order, from any
client process.

Server-wide: a required API key (a wrong one gets a 401 whose body quotes it,
as some servers do), served models (others get 404), latency, and
``generated_only`` (log probs only for generated tokens: llama.cpp's
behaviour), ``single_prompt`` (a list of prompts gets a 500, as from
llama.cpp). The server counts requests, prompts, and requests in flight.

>>> with FakeServer(FakeServerConfig(models=("m",))) as server:
...     server.base_url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from typing import Any, Final

import attrs
from aiohttp import web

from cje_fp.testing._background import BackgroundServer, listening_socket
from cje_fp.testing._choice import choice
from cje_fp.testing._markers import CONTEXT_LENGTH_MESSAGE, REQUEST_FAULTS
from cje_fp.testing._model import tokenize
from cje_fp.testing._state import FakeServerConfig, ServerState, ServerStats

STATE: Final = web.AppKey("state", ServerState)


def _error(status: int, message: str, **headers: str) -> web.Response:
    body = json.dumps({"error": {"message": message, "code": status}})
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


async def _request_fault(
    state: ServerState, kind: str, body: dict[str, object]
) -> web.StreamResponse | None:
    config = state.config
    match kind:
        case "rate_limit":
            return _error(429, "Rate limit reached; retry later", **{"Retry-After": config.retry_after})
        case "server_error":
            return _error(500, "Internal Server Error")
        case "unavailable":
            return _error(503, "Service Unavailable")
        case "hang":
            assert state.stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.stopping.wait(), timeout=config.hang_seconds)
            return None
        case "malformed_json":
            return web.Response(status=200, body=b'{"choices": [', content_type="application/json")
        case "missing_choices":
            return web.json_response({"object": "text_completion", "model": body.get("model")})
        case "context_length":
            message = CONTEXT_LENGTH_MESSAGE.format(limit=4096, tokens=5000)
            return _error(400, message)
        case "bad_request":
            return _error(400, "logprobs must be between 0 and 20")
        case "unprocessable":
            return _error(422, "Unprocessable Entity: field required")
        case _:
            raise AssertionError(f"unhandled request fault {kind}")


async def _completions(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    with state.lock:
        state.requests += 1
        state.in_flight += 1
        state.max_in_flight = max(state.max_in_flight, state.in_flight)
    try:
        answer = await _answer(state, request)
    finally:
        with state.lock:
            state.in_flight -= 1
    with state.lock:
        state.statuses[answer.status] += 1
    return answer


def _parsed(
    config: FakeServerConfig, raw: bytes, authorization: str
) -> web.Response | tuple[dict[str, Any], str, list[str]]:
    """The request's body, model and prompts, or the error answer a server gives."""
    if config.api_key is not None:
        presented = authorization.removeprefix("Bearer ")
        if presented != config.api_key:
            return _error(401, f"Incorrect API key provided: {presented}")
    try:
        body = json.loads(raw)
    except ValueError:
        return _error(400, "request body is not JSON")
    if not isinstance(body, dict):
        return _error(400, "request body is not an object")
    model = body.get("model")
    if not isinstance(model, str) or model not in config.models:
        return _error(404, f"The model `{model}` does not exist.")
    prompt = body.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) for p in prompts):
        return _error(400, "prompt must be a string or a list of strings")
    if config.single_prompt and len(prompts) > 1:
        return _error(500, "this server takes one prompt per request")
    return body, model, prompts


async def _faulty(
    state: ServerState, request: web.Request, body: dict[str, Any], kinds: Sequence[str]
) -> web.StreamResponse | None:
    """The answer of the first request fault that answers at once (``truncated_body`` cuts a built answer)."""
    for kind in kinds:
        if kind == "truncated_body":
            continue
        if kind == "drop":
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=599)
        faulty = await _request_fault(state, kind, body)
        if faulty is not None:
            return faulty
    return None


async def _answer(state: ServerState, request: web.Request) -> web.StreamResponse:
    config = state.config
    raw = await request.read()
    if config.latency:
        await asyncio.sleep(config.latency)
    parsed = _parsed(config, raw, request.headers.get("Authorization", ""))
    if isinstance(parsed, web.Response):
        return parsed
    body, model, prompts = parsed
    with state.lock:
        state.prompts += len(prompts)
        serial = state.requests
    kinds = [kind for text in prompts for kind in state.faults(text, REQUEST_FAULTS)]
    faulty = await _faulty(state, request, body, kinds)
    if faulty is not None:
        return faulty
    limit = config.max_prompt_tokens
    if limit is not None and any(len(tokenize(p)) > limit for p in prompts):
        return _error(400, CONTEXT_LENGTH_MESSAGE.format(limit=limit, tokens=limit + 1))
    max_tokens = body.get("max_tokens", 16)
    if not isinstance(max_tokens, int) or max_tokens < 0:
        return _error(400, "max_tokens must be a non-negative integer")
    echo = bool(body.get("echo", False))
    choices = [
        choice(state, index, text, model=model, echo=echo, max_tokens=max_tokens, serial=serial)
        for index, text in enumerate(prompts)
    ]
    n_prompt = sum(len(tokenize(p)) for p in prompts)
    document = {
        "id": f"cmpl-fake-{serial}",
        "object": "text_completion",
        "created": 0,
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": n_prompt,
            "completion_tokens": max_tokens * len(prompts),
            "total_tokens": n_prompt + max_tokens * len(prompts),
        },
    }
    encoded = json.dumps(document).encode()
    if "truncated_body" in kinds:
        encoded = encoded[: len(encoded) // 2]
    return web.Response(body=encoded, content_type="application/json")


async def _models(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    return web.json_response(
        {"object": "list", "data": [{"id": m, "object": "model"} for m in state.config.models]}
    )


async def _stats(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    stats = web.json_response(attrs.asdict(state.stats()))
    if request.query.get("reset"):
        state.reset()
    return stats


def build_app(state: ServerState) -> web.Application:
    """The aiohttp application serving ``/v1/completions``, ``/v1/models`` and
    ``/stats`` (``/stats?reset=1`` also zeroes the counts). A path before ``/v1``
    is ignored, as a gateway that routes by it would (``/team/v1/completions``)."""
    app = web.Application()
    app[STATE] = state
    app.router.add_post("/{prefix:(.*/)?}v1/completions", _completions)
    app.router.add_get("/{prefix:(.*/)?}v1/models", _models)
    app.router.add_get("/stats", _stats)
    return app


async def _serve(state: ServerState, sock: socket.socket, stop: asyncio.Event, ready: threading.Event | None) -> None:
    state.stopping = asyncio.Event()
    runner = web.AppRunner(build_app(state), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        if ready is not None:
            ready.set()
        await stop.wait()
    finally:
        state.stopping.set()
        await runner.cleanup()


class FakeServer(BackgroundServer):
    """The fake server in a background thread, on 127.0.0.1 and a free port."""

    thread_name = "fake-llm-server"

    def __init__(self, config: FakeServerConfig | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        self.config = config or FakeServerConfig()
        self._state = ServerState(self.config)

    async def serve(self, sock: socket.socket, stop: asyncio.Event, ready: threading.Event) -> None:
        """Serve the fake completions API (hanging requests are released on stop)."""
        await _serve(self._state, sock, stop, ready)

    def stats(self) -> ServerStats:
        """Counts so far."""
        return self._state.stats()

    def reset_stats(self) -> None:
        """Zero the counts and forget how often each fault fired."""
        self._state.reset()


def _parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m cje_fp.testing", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--model", action="append", help="a served model (repeatable)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each request")
    parser.add_argument("--api-key-env", help="require the key held in this environment variable")
    parser.add_argument("--generated-only", action="store_true", help="llama.cpp-style logprobs")
    parser.add_argument("--no-text-offset", action="store_true", help="omit text_offset")
    parser.add_argument("--no-top-logprobs", action="store_true", help="omit top_logprobs")
    parser.add_argument(
        "--content-fault",
        action="append",
        default=[],
        metavar="FAULT=SHARE",
        help="the share of prompts (chosen by their text) that draw FAULT (kind or kind*N); repeatable",
    )
    parser.add_argument("--fault-seed", type=int, default=0, help="seed of the content faults' draw")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until SIGTERM/SIGINT; the first line printed is the base URL."""
    import os

    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if not args.host.startswith("127.") and args.host != "localhost":
        print("the fake server listens on loopback addresses only", file=sys.stderr)
        return 2
    models: list[str] = args.model or ["fake-model"]
    config = FakeServerConfig(
        models=tuple(models),
        api_key=os.environ.get(args.api_key_env) if args.api_key_env else None,
        latency=args.latency,
        generated_only=args.generated_only,
        text_offset=not args.no_text_offset,
        top_logprobs=not args.no_top_logprobs,
        content_faults={spec: float(share) for spec, _, share in (item.partition("=") for item in args.content_fault)},
        fault_seed=args.fault_seed,
    )
    sock = listening_socket(args.host, args.port)
    print(f"http://{args.host}:{sock.getsockname()[1]}/v1", flush=True)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await _serve(ServerState(config), sock, stop, None)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
