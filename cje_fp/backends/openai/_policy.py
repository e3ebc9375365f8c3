"""``OpenAICompatiblePolicy``: teacher-forced log probs from an OpenAI-compatible
``/v1/completions`` server (vLLM, Fireworks, Together, ...), over aiohttp
(chosen by measurement: see ``benchmarks/bench_http.py``).

One request per prompt with ``echo=true``, ``logprobs=1`` and ``max_tokens``
0 (or 1 for servers that reject 0); the response's log prob is the sum of its
echoed tokens' log probs (see ``teacher_forcing``). Both calling conventions:
``compute_log_prob`` (blocking; runs on a background event loop owned by the
policy) and ``compute_log_prob_async``. Concurrent calls on one loop are
coalesced into requests of up to ``batch_size`` prompts (a partial batch waits
at most ``batch_wait`` seconds for more). Every request has a ``timeout``. The
API key is read from the environment variable named ``api_key_env`` at each
request and never stored, logged or shown.

``base_urls`` names several replicas of the model instead of one ``base_url``:
each request goes to the replica with the fewest in flight, and one that
fails again and again is taken out for a while (see ``_router``). At most
``max_in_flight`` requests are in flight per policy and endpoint, whatever the
loop; with ``adaptive_concurrency`` that is a ceiling: once a server answers
429/503, every adaptive policy of the process talking to it shares one
in-flight window for it, halved at each overload and grown back as requests
succeed (AIMD). Policies talking to the same server on one event loop share
one connection pool.

Close the policy when done (``close()``, ``await aclose()``, or use it as a
context manager); connections opened inside ``asyncio.run`` are closed when that
loop ends.

>>> policy = OpenAICompatiblePolicy(
...     name="base", base_url="http://127.0.0.1:8000/v1", model="m", template="chatml")
>>> policy.model, policy.template.name, policy.batch_size, policy.max_in_flight, policy.endpoints
('m', 'chatml', 1, 64, ('http://127.0.0.1:8000/v1',))
>>> policy.template_id
'chatml@1e75e822ee87'
>>> policy.close()
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Sequence
from types import TracebackType
from typing import final
from urllib.parse import urlsplit

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends._options import (
    EnvName,
    MaxTokens,
    NonNegativeSeconds,
    PositiveInt,
    Seconds,
    Temperature,
    conforms,
)
from cje_fp.backends._registry import EndpointStats
from cje_fp.backends.openai._coalescer import Coalescer, outcome_of
from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._runtime import Runtime
from cje_fp.backends.openai._teacher_forcing import ScoredResponse, log_prob_of, score_echo
from cje_fp.backends.openai._templates import ChatTemplate, RenderedPrompt, resolve_template
from cje_fp.backends.openai._two_request import score_two_request
from cje_fp.errors import LogProbError, MalformedResponse, TokenBoundaryError, crashed, redact, sealed
from cje_fp.policy import LogProbResult, input_problem


def _check_url(instance: object, attribute: object, url: str | None) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL, got {redact(url)!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("base_url must not hold credentials: name the key's variable in api_key_env")
    if "?" in url or "#" in url:
        raise ValueError(
            "base_url must not have a query string or fragment (it would be sent, printed and joined as "
            "'/v1?...'/completions): give the address up to /v1, such as https://host:8000/v1, and name the "
            "key's variable in api_key_env"
        )


def _check_urls(instance: OpenAICompatiblePolicy, attribute: object, urls: tuple[str, ...]) -> None:
    for url in urls:
        _check_url(instance, attribute, url)
    if (instance.base_url is None) == (not urls):
        raise ValueError("give either base_url (one server) or base_urls (replicas of one model), not both")
    if len(set(urls)) != len(urls):
        raise ValueError("base_urls lists a server twice")


def _url_tuple(urls: Sequence[str]) -> tuple[str, ...]:
    return (urls,) if isinstance(urls, str) else tuple(urls)


def _scored(echo: EchoResult, context: str, scored: str) -> ScoredResponse | LogProbError:
    match sealed(echo):
        case Success(full):
            return score_echo(full, context, scored)
        case Failure(error):
            return error


def _value(echo: EchoResult, context: str, scored: str) -> float | LogProbError:
    full = echo.value_or(None)  # before a ``match``: once per cell, half a microsecond less
    if full is not None:
        return log_prob_of(full, context, scored)
    match sealed(echo):
        case Failure(error):
            return error
        case _:
            return MalformedResponse(reason="an answer without an echo")


def _fallback_value(scored: ScoredResponse | LogProbError | BaseException) -> float | LogProbError:
    """A two-request fallback's answer for one cell of many (its crash is that cell's)."""
    if isinstance(scored, BaseException):
        if not isinstance(scored, Exception):
            raise scored
        return crashed(scored)
    return scored.log_prob if isinstance(scored, ScoredResponse) else scored


@final
@attrs.frozen(kw_only=True, eq=False)
class OpenAICompatiblePolicy:
    """A ``DualPolicy`` scoring responses on an OpenAI-compatible completions server.

    ``template`` (a ``ChatTemplate`` or a built-in name) renders the context as
    a user turn (after ``system_prompt``) and the response as the assistant's
    reply, scoring the end-of-turn marker iff ``score_end_of_turn``. Without a
    template, ``context + response`` is sent as is. With
    ``two_request_fallback``, a token-boundary failure is retried as
    ``lp(context + response) - lp(context)`` when the context's tokens are a
    prefix of the full text's tokens.
    """

    name: str
    base_url: str | None = attrs.field(default=None, validator=_check_url)
    base_urls: tuple[str, ...] = attrs.field(default=(), converter=_url_tuple, validator=_check_urls)
    model: str
    api_key_env: EnvName | None = attrs.field(default=None, validator=conforms(EnvName | None))
    timeout: Seconds = attrs.field(default=60.0, validator=conforms(Seconds))
    temperature: Temperature = attrs.field(default=1.0, validator=conforms(Temperature))
    template: ChatTemplate | None = attrs.field(default=None, converter=resolve_template)
    system_prompt: str | None = None
    score_end_of_turn: bool = True
    max_tokens: MaxTokens = attrs.field(default=0, validator=conforms(MaxTokens))
    two_request_fallback: bool = False
    max_in_flight: PositiveInt = attrs.field(default=64, validator=conforms(PositiveInt))
    adaptive_concurrency: bool = True
    batch_size: PositiveInt = attrs.field(default=1, validator=conforms(PositiveInt))
    batch_wait: NonNegativeSeconds = attrs.field(default=0.005, validator=conforms(NonNegativeSeconds))
    _runtime: Runtime = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        runtime = Runtime(self)
        object.__setattr__(self, "_runtime", runtime)
        weakref.finalize(self, runtime.close)

    # Identity -----------------------------------------------------------------

    @property
    def template_id(self) -> str | None:
        """The chat template's ``name@hash``, or ``None`` when prompts are sent raw."""
        return None if self.template is None else self.template.template_id

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The base URLs requests go to: ``base_urls``, or ``base_url`` alone."""
        return self.base_urls or ((self.base_url,) if self.base_url is not None else ())

    @property
    def peak_in_flight(self) -> int:
        """The most requests this policy has had in flight at once (per endpoint, summed)."""
        return self._runtime.router.peak

    @property
    def in_flight_limit(self) -> int:
        """The current in-flight limit, summed over the endpoints that are in (AIMD moves it)."""
        return self._runtime.router.limit

    def endpoint_stats(self) -> tuple[EndpointStats, ...]:
        """Per endpoint: requests sent, failed, answered 429/503, ejections, current limit."""
        return self._runtime.router.stats()

    # Requests -----------------------------------------------------------------

    async def request_echoes(
        self,
        prompts: Sequence[str],
        *,
        max_tokens: int | None = None,
        echo: bool = True,
        temperature: float | None = None,
    ) -> list[EchoResult]:
        """Send ``prompts`` in one request (within the in-flight bound) and return
        each echo as parsed, without scoring it: for diagnostics. ``echo=False``
        returns the generated tokens only; ``temperature`` overrides the policy's."""
        runtime = self._runtime
        sessions = runtime.clients.get().sessions
        grant = await runtime.router.acquire()
        if grant is None:
            return [Failure(runtime.down())] * len(prompts)
        try:
            results = await runtime.wires[grant[0].index].send(
                sessions[grant[0].index],
                prompts,
                self.max_tokens if max_tokens is None else max_tokens,
                echo=echo,
                temperature=temperature,
            )
        except BaseException:
            runtime.router.release(grant, 0)
            raise
        outcome, retry_after = outcome_of(results)
        runtime.router.release(grant, outcome, retry_after=retry_after)
        return results

    # Scoring ------------------------------------------------------------------

    def render(self, context: str, response: str) -> Result[RenderedPrompt, LogProbError]:
        """The raw context and scored text this policy sends for a (context, response)."""
        rendered = self._render(context, response)
        return Success(rendered) if isinstance(rendered, RenderedPrompt) else Failure(rendered)

    def _render(self, context: str, response: str) -> RenderedPrompt | LogProbError:
        problem = input_problem(context, response)
        if problem is not None:
            return problem
        if self.template is None:
            return RenderedPrompt(context=context, scored=response)
        match sealed(
            self.template.render(
                system=self.system_prompt,
                user=context,
                response=response,
                score_end_of_turn=self.score_end_of_turn,
            )
        ):
            case Success(rendered):
                return rendered
            case Failure(error):
                return error

    async def score_async(self, context: str, response: str) -> Result[ScoredResponse, LogProbError]:
        """The response's log prob with where its tokens were found."""
        texts = self._texts(context, response)
        if not isinstance(texts, tuple):
            return Failure(texts)
        prompt_context, scored_text = texts
        coalescer = self._runtime.clients.get().coalescer
        echo = await coalescer.echo(prompt_context + scored_text)
        scored = _scored(echo, prompt_context, scored_text)
        if isinstance(scored, TokenBoundaryError) and self.two_request_fallback:
            scored = await self._fallback(coalescer, echo, prompt_context, scored_text)
        return Success(scored) if isinstance(scored, ScoredResponse) else Failure(scored)

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        """``log P(response | context)``, or why it could not be computed."""
        # ``score_async`` inlined: the hot path, one coroutine per call, plain
        # ``value | error`` unions inside and one Result at the edge (and as
        # little as possible held across the await).
        if self.template is None:
            problem = input_problem(context, response)
            if problem is not None:
                return Failure(problem)
            prompt_context, scored_text = context, response
        else:
            rendered = self._render(context, response)
            if not isinstance(rendered, RenderedPrompt):
                return Failure(rendered)
            prompt_context, scored_text = rendered.context, rendered.scored
            del rendered
        coalescer = self._runtime.clients.get().coalescer
        echo = await coalescer.echo(prompt_context + scored_text)
        value = _value(echo, prompt_context, scored_text)
        if isinstance(value, float):
            return Success(value)
        if isinstance(value, TokenBoundaryError) and self.two_request_fallback:
            scored = await self._fallback(coalescer, echo, prompt_context, scored_text)
            return Success(scored.log_prob) if isinstance(scored, ScoredResponse) else Failure(scored)
        return Failure(value)

    async def compute_log_probs_async(self, pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        """``compute_log_prob_async`` on many cells in one call: one result per pair, in order.

        The prompts join the coalescer's queue at once, with one future for
        all of them: a chunk of cells costs one coroutine and one future.
        """
        # A crash in one cell's own work (rendering, locating its tokens) is that cell's
        # PolicyCrashed, never its neighbours': what calling the cells one by one gives.
        coalescer = self._runtime.clients.get().coalescer
        texts = [self._texts_or_crash(context, response) for context, response in pairs]
        echoes = await coalescer.echo_many([text[0] + text[1] for text in texts if isinstance(text, tuple)])
        values: list[float | LogProbError] = []
        retried: list[tuple[int, Awaitable[ScoredResponse | LogProbError]]] = []
        position = 0
        for text in texts:
            if not isinstance(text, tuple):
                values.append(text)
                continue
            echo = echoes[position]
            position += 1
            try:
                value = _value(echo, text[0], text[1])
            except Exception as error:
                value = crashed(error)
            if isinstance(value, TokenBoundaryError) and self.two_request_fallback:
                retried.append((len(values), self._fallback(coalescer, echo, text[0], text[1])))
            values.append(value)
        if retried:
            answers = await asyncio.gather(*(wait for _, wait in retried), return_exceptions=True)
            for (at, _), scored in zip(retried, answers, strict=True):
                values[at] = _fallback_value(scored)
        return [Success(value) if isinstance(value, float) else Failure(value) for value in values]

    def _texts_or_crash(self, context: str, response: str) -> tuple[str, str] | LogProbError:
        try:
            return self._texts(context, response)
        except Exception as error:
            return crashed(error)

    def _texts(self, context: str, response: str) -> tuple[str, str] | LogProbError:
        """The raw context and scored text (``render`` without containers)."""
        if self.template is None:
            problem = input_problem(context, response)
            return (context, response) if problem is None else problem
        rendered = self._render(context, response)
        return (rendered.context, rendered.scored) if isinstance(rendered, RenderedPrompt) else rendered

    async def _fallback(
        self, coalescer: Coalescer, echo: EchoResult, context: str, scored: str
    ) -> ScoredResponse | LogProbError:
        """The two-request score, after a token-boundary failure."""
        context_echo = await coalescer.echo(context)
        match sealed(self._two_request(echo, context_echo, RenderedPrompt(context=context, scored=scored))):
            case Success(value):
                return value
            case Failure(error):
                return error

    def _two_request(
        self, echo: EchoResult, context_echo: EchoResult, prompt: RenderedPrompt
    ) -> Result[ScoredResponse, LogProbError]:
        def with_full(full: Echo) -> Result[ScoredResponse, LogProbError]:
            return context_echo.bind(
                lambda alone: score_two_request(
                    full, alone, context=prompt.context, response=prompt.scored, max_tokens=self.max_tokens
                )
            )

        return echo.bind(with_full)

    def compute_log_prob(self, context: str, response: str) -> LogProbResult:
        """The blocking form: runs on the policy's background event loop."""
        try:
            return self._runtime.background.run(
                lambda: self.compute_log_prob_async(context, response)
            )
        except Exception as error:
            return Failure(crashed(error))

    # Lifecycle ----------------------------------------------------------------

    def close(self) -> None:
        """Close the background loop's connections and stop its thread."""
        self._runtime.close()

    async def aclose(self) -> None:
        """Close the running loop's connections, and the background loop's."""
        await self._runtime.clients.aclose_current()
        self._runtime.close()

    def __enter__(self) -> OpenAICompatiblePolicy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> OpenAICompatiblePolicy:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

