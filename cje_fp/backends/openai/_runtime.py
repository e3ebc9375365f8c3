"""The mutable part of an ``OpenAICompatiblePolicy``: its router over its endpoints, one
wire per endpoint, a client (coalescer and leased sessions) per running loop, and the
background loop for blocking callers. Nothing here refers back to the policy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

import aiohttp
import attrs
import yarl

from cje_fp.backends.openai._coalescer import Coalescer
from cje_fp.backends.openai._completions import EchoResult
from cje_fp.backends.openai._loops import BackgroundLoop, PerLoop
from cje_fp.backends.openai._pool import POOL
from cje_fp.backends.openai._router import Endpoint, Router
from cje_fp.backends.openai._wire import CompletionsWire
from cje_fp.errors import EndpointsDown, LogProbError, redact_url

if TYPE_CHECKING:
    from cje_fp.backends.openai._policy import OpenAICompatiblePolicy


@attrs.frozen(kw_only=True)
class Client:
    """What one event loop uses: the coalescer sending to the endpoints' shared sessions."""

    coalescer: Coalescer
    sessions: tuple[aiohttp.ClientSession, ...]


class Runtime:
    """The mutable part of a policy: connections per loop, the router, the background loop.

    Nothing here refers back to the policy, so an unclosed policy can still be
    collected (and its finalizer close the background loop).
    """

    def __init__(self, policy: OpenAICompatiblePolicy) -> None:
        urls = policy.endpoints
        self.router = Router(
            tuple(redact_url(url) for url in urls), ceiling=policy.max_in_flight, adaptive=policy.adaptive_concurrency
        )
        self.background = BackgroundLoop(name=policy.name)
        self.wires = tuple(
            CompletionsWire(
                name=policy.name,
                url=yarl.URL(url.rstrip("/") + "/completions"),
                model=policy.model,
                temperature=policy.temperature,
                api_key_env=policy.api_key_env,
                timeout=policy.timeout,
            )
            for url in urls
        )
        batch_size, wait, timeout = policy.batch_size, policy.batch_wait, policy.timeout
        max_tokens, wires, router, name = policy.max_tokens, self.wires, self.router, policy.name

        def down() -> LogProbError:
            # Kept in output rows: the count, not the addresses (the summary names them).
            reason = f"all {len(urls)} endpoints failed repeatedly (refused, dropped or timed out) and are taken out"
            return EndpointsDown(policy=name, endpoints=len(urls), reason=reason)

        self.down = down

        def create() -> Client:
            sessions = tuple(POOL.lease(url, timeout) for url in urls)

            def send(endpoint: Endpoint, prompts: Sequence[str]) -> Awaitable[list[EchoResult]]:
                index = endpoint.index
                return wires[index].send(sessions[index], prompts, max_tokens)

            coalescer = Coalescer(send=send, batch_size=batch_size, router=router, wait=wait, down=down)
            return Client(coalescer=coalescer, sessions=sessions)

        async def close(client: Client) -> None:
            for url in urls:
                await POOL.give_back(url, timeout)

        self.clients: PerLoop[Client] = PerLoop(create=create, close=close)

    def close(self) -> None:
        self.background.close()
