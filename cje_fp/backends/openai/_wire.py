"""``CompletionsWire``: one ``/v1/completions`` exchange over an aiohttp session.

Builds the request, sends it with the API key read from the environment at
that moment, and turns whatever happens (an answer, an HTTP error, a timeout,
a dropped connection) into one ``Result`` per prompt. Holds configuration
only, never the key.

>>> import os, yarl
>>> wire = CompletionsWire(name="p", url=yarl.URL("http://127.0.0.1:8000/v1/completions"),
...                        model="m", temperature=1.0, api_key_env="DEMO_WIRE_KEY", timeout=5.0)
>>> wire.api_key().alt(lambda error: error.kind)
<Failure: unauthorized>
>>> os.environ["DEMO_WIRE_KEY"] = "demo-secret-value"
>>> wire.api_key().map(len), "demo-secret-value" in repr(wire)
(<Success: 17>, False)
>>> del os.environ["DEMO_WIRE_KEY"]
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Final

import aiohttp
import attrs
import yarl
from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import EchoResult, encode_request, parse_completions, request_payload
from cje_fp.backends.openai._http_errors import error_for_exception, error_for_status, request_hash
from cje_fp.errors import HttpDetail, LogProbError, Unauthorized

logger: Final = logging.getLogger("cje_fp.backends.openai._policy")

_HEADERS: Final = {"Content-Type": "application/json", "Accept": "application/json"}


def _address_parts(url: yarl.URL) -> tuple[str, ...]:
    """The endpoint's address as exception messages spell it (longest first), to be redacted.

    >>> _address_parts(yarl.URL("http://10.1.2.3:8000/v1/completions"))
    ('http://10.1.2.3:8000/v1/completions', "('10.1.2.3', 8000)", '10.1.2.3:8000', '10.1.2.3')
    """
    host = url.host or ""
    return tuple(part for part in (str(url), f"('{host}', {url.port})", f"{host}:{url.port}", host) if part)


@attrs.frozen(kw_only=True)
class CompletionsWire:
    """Where and how to send teacher-forcing requests for one policy."""

    name: str
    url: yarl.URL
    model: str
    temperature: float
    api_key_env: str | None
    timeout: float

    def api_key(self) -> Result[str | None, LogProbError]:
        """The key from the environment now (``None`` if no key is configured)."""
        key = self._key()
        return Failure(key) if isinstance(key, LogProbError) else Success(key)

    def _key(self) -> str | LogProbError | None:
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env)
        if not key:
            reason = f"environment variable {self.api_key_env} is not set"
            return Unauthorized(http=HttpDetail(body_excerpt=reason))
        if not (key.isascii() and key.isprintable()):
            reason = f"environment variable {self.api_key_env} holds a key that cannot be an HTTP header"
            return Unauthorized(http=HttpDetail(body_excerpt=reason))
        return key

    async def send(
        self,
        session: aiohttp.ClientSession,
        prompts: Sequence[str],
        max_tokens: int,
        *,
        echo: bool = True,
        temperature: float | None = None,
    ) -> list[EchoResult]:
        """One request for ``prompts``; one result per prompt, in order (``echo`` and
        ``temperature`` other than the policy's are for ``doctor``'s probes)."""
        key = self._key()
        if isinstance(key, LogProbError):
            return [Failure(key)] * len(prompts)
        body = encode_request(
            request_payload(
                model=self.model,
                prompts=prompts,
                temperature=self.temperature if temperature is None else temperature,
                max_tokens=max_tokens,
                echo=echo,
            )
        )
        headers = _HEADERS
        secrets: tuple[str, ...] = ()
        if key is not None:
            headers = {**_HEADERS, "Authorization": f"Bearer {key}"}
            secrets = (key,)
        try:
            async with session.post(self.url, data=body, headers=headers, allow_redirects=False) as answer:
                raw = await answer.read()
                status = answer.status
                retry_after = answer.headers.get("Retry-After")
        except Exception as exception:
            hash_ = request_hash(body)
            # the reason is kept in output rows: no internal address in it either
            hidden = (*secrets, *_address_parts(self.url))
            error = error_for_exception(exception, seconds=self.timeout, request_hash=hash_, secrets=hidden)
            logger.debug("policy %s: request %s failed: %s", self.name, hash_, error.kind)
            return [Failure(error)] * len(prompts)
        if not 200 <= status < 300:
            hash_ = request_hash(body)
            error = error_for_status(
                status,
                body=raw.decode("utf-8", errors="replace"),
                retry_after=retry_after,
                request_hash=hash_,
                model=self.model,
                secrets=secrets,
                path=self.url.path,
            )
            logger.debug("policy %s: request %s got HTTP %d (%s)", self.name, hash_, status, error.kind)
            return [Failure(error)] * len(prompts)
        results = parse_completions(raw, n_prompts=len(prompts), request_hash="")
        if all(isinstance(result, Success) for result in results):
            return results
        # Rare: parse again so that each error names its request (hashing every body would cost more).
        return parse_completions(raw, n_prompts=len(prompts), request_hash=request_hash(body))
