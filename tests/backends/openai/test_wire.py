"""``CompletionsWire`` errors: a dropped connection's reason, kept in output rows, names no address."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import yarl
from returns.result import Failure

from cje_fp.backends.openai._completions import EchoResult
from cje_fp.backends.openai._wire import CompletionsWire
from cje_fp.errors import ConnectionFailed, sealed


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_refused_connection_is_reported_without_the_address() -> None:
    port = _closed_port()
    wire = CompletionsWire(name="p", url=yarl.URL(f"http://127.0.0.1:{port}/team-7/v1/completions"), model="m",
                           temperature=1.0, api_key_env=None, timeout=5.0)

    async def send() -> list[EchoResult]:
        async with aiohttp.ClientSession() as session:
            return list(await wire.send(session, ["q"], 0))

    (result,) = asyncio.run(send())
    match sealed(result):
        case Failure(error):
            pass
        case _:
            raise AssertionError(f"expected a failure, got {result}")
    assert isinstance(error, ConnectionFailed)
    assert "Cannot connect" in error.reason or "refused" in error.reason.lower()
    assert str(port) not in error.reason and "127.0.0.1" not in error.reason and "team-7" not in error.reason
