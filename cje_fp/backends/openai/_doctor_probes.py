"""``doctor``'s probes beyond the first echo: what a server can get silently wrong.

- ``generation``: nothing is generated without bound at the policy's
  ``max_tokens`` (llama-cpp-python treats ``max_tokens <= 0`` as unlimited:
  every request then generates to the end of the context);
- ``aligned``: echoed log probs belong to the token they are echoed with. A
  generated token's log prob (no echo) must equal its log prob when the
  prompt plus that token is teacher-forced; llama-cpp-python pairs each echoed
  token with the next position's distribution for models that add no BOS;
- ``non_ascii``: emoji, CJK, a non-breaking space and a space-led response
  scored in one request agree with two requests wherever both give a value;
- ``batching``: whether a request may carry two prompts (advice: the backend
  falls back to one prompt per request);
- ``temperature``: whether echoed log probs depend on ``temperature``
  (llama-cpp-python and vLLM by default return the model's raw log probs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeAlias

import attrs
from returns.result import Failure, Success

from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._teacher_forcing import ScoredResponse, score_echo
from cje_fp.backends.openai._templates import RenderedPrompt
from cje_fp.backends.openai._two_request import prompt_token_count, score_two_request
from cje_fp.errors import sealed

if TYPE_CHECKING:
    from cje_fp.backends.openai._policy import OpenAICompatiblePolicy

#: Generated tokens beyond this many at ``max_tokens`` 1 mean generation is not bounded.
MAX_GENERATED: Final = 16
#: Two log probs of one token at one position agree within this (nats).
AGREEMENT_TOLERANCE: Final = 1e-3
#: Prompts whose greedy next token is teacher-forced back (a few, as a token may
#: be a partial character or merge with the prompt).
ALIGNMENT_PROMPTS: Final = ("Hello", "The answer is", "Question: 2+2=", "Once upon a time", "Paris is")
#: (context, response) pairs that stress the boundary beyond ASCII.
NON_ASCII_PROBES: Final = (
    ("Mood:", "\U0001f600 great"),
    ("Mood:", " \U0001f600 great"),
    ("\u65e5\u672c", "\u8a9e\u3092\u8a71\u3057\u307e\u3059"),
    ("Price:", "\u00a0100 \u20ac"),
    ("Answer:", " caf\u00e9"),
)

TemperatureSemantics: TypeAlias = Literal["raw", "scaled"]


@attrs.frozen(kw_only=True)
class Check:
    """One finding: its name, whether it passed, what was seen, whether it is required."""

    name: str
    passed: bool
    detail: str
    required: bool = True


def generated_count(echo: Echo, prompt: str, max_tokens: int) -> int | None:
    """How many tokens the server generated after ``prompt``, if that can be told."""
    if echo.completion_tokens is not None:
        return echo.completion_tokens
    match sealed(prompt_token_count(echo, prompt, max_tokens)):
        case Success(count):
            return len(echo.tokens) - count
        case Failure(_):
            return None


def generation_check(echo: Echo, prompt: str, max_tokens: int) -> Check:
    """Generation stops at ``max_tokens`` (give or take a split character)."""
    count = generated_count(echo, prompt, max_tokens)
    grew = echo.text is not None and echo.text.startswith(prompt) and len(echo.text) > len(prompt)
    if max_tokens <= 0 and (bool(count) or grew):
        shown = "text" if count is None else f"{count} tokens"
        return Check(
            name="generation",
            passed=False,
            detail=f"the server generated {shown} at max_tokens = {max_tokens}: it treats 0 as "
            "unlimited (llama-cpp-python does), so every request runs to the end of the context; "
            "set max_tokens = 1",
        )
    if count is not None and count > MAX_GENERATED:
        return Check(
            name="generation",
            passed=False,
            detail=f"the server generated {count} tokens at max_tokens = {max_tokens}",
        )
    seen = "an unknown number of" if count is None else str(count)
    return Check(name="generation", passed=True, detail=f"{seen} tokens generated at max_tokens = {max_tokens}")


def _first(results: list[EchoResult]) -> Echo | None:
    match sealed(results[0]):
        case Success(echo):
            return echo
        case Failure(_):
            return None


def agreement_tolerance(noise_floor: float | None) -> float:
    """How far two log probs of one token may differ: ``AGREEMENT_TOLERANCE``, or
    three times the noise between identical requests if that is larger."""
    return max(AGREEMENT_TOLERANCE, 3.0 * (noise_floor or 0.0))


async def alignment_check(
    policy: OpenAICompatiblePolicy, tolerance: float = AGREEMENT_TOLERANCE, temperature: float | None = None
) -> Check:
    """A generated token's log prob equals its teacher-forced one (within ``tolerance``), both
    at ``temperature`` (default: the policy's; 0 makes the generated tokens the likeliest).

    Misaligned only when every probe disagrees (at least two): a generated token
    whose text is not its own (a partial UTF-8 byte dropped from it, say) makes a
    correct server disagree on that probe alone, while a server that pairs
    echoed tokens with another position disagrees on all of them.
    """
    differences: list[float] = []
    for prompt in ALIGNMENT_PROMPTS:
        generated = _first(await policy.request_echoes([prompt], max_tokens=1, echo=False, temperature=temperature))
        if generated is None or not generated.tokens or not generated.tokens[0]:
            continue
        token, expected = generated.tokens[0], generated.log_probs[0]
        if expected is None:
            continue
        forced = _first(await policy.request_echoes([prompt + token], temperature=temperature))
        if forced is None:
            continue
        scored = score_echo(forced, prompt, token)
        if isinstance(scored, ScoredResponse) and scored.n_tokens == 1:
            differences.append(abs(scored.log_prob - expected))
        if len(differences) >= 3:
            break
    disagreeing = [difference for difference in differences if difference > tolerance]
    if len(differences) < 2 or 0 < len(disagreeing) < len(differences):
        seen = "no" if not differences else f"{len(differences) - len(disagreeing)} of {len(differences)}"
        return Check(
            name="aligned",
            passed=False,
            required=False,
            detail=f"could not be checked: {seen} generated tokens teacher-forced back alone agree",
        )
    if disagreeing:
        return Check(
            name="aligned",
            passed=False,
            detail=f"generated tokens' log probs and their echoed log probs differ by {min(disagreeing):.3g} "
            f"to {max(disagreeing):.3g} nats: the server pairs echoed tokens with another position's "
            "distribution (llama-cpp-python does for models that add no BOS token); every teacher-forced "
            "log prob would be silently wrong",
        )
    return Check(
        name="aligned",
        passed=True,
        detail=f"generated and echoed log probs of {len(differences)} tokens agree within {max(differences):.2g} nats",
    )


async def alignment_verdict(
    policy: OpenAICompatiblePolicy, semantics: TemperatureSemantics | None, tolerance: float = AGREEMENT_TOLERANCE
) -> Check:
    """``alignment_check``, asked again with greedy tokens when sampled ones could not check it
    (parts of characters, say) and the endpoint's echoed log probs ignore temperature anyway."""
    aligned = await alignment_check(policy, tolerance)
    if not aligned.required and semantics == "raw":
        aligned = await alignment_check(policy, tolerance, temperature=0.0)
    return aligned


async def _both_ways(policy: OpenAICompatiblePolicy, prompt: RenderedPrompt) -> tuple[float | None, float | None]:
    full_results, alone_results = await asyncio.gather(
        policy.request_echoes([prompt.context + prompt.scored]), policy.request_echoes([prompt.context])
    )
    full, alone = _first(full_results), _first(alone_results)
    if full is None:
        return None, None
    one = score_echo(full, prompt.context, prompt.scored)
    one_value = one.log_prob if isinstance(one, ScoredResponse) else None
    if alone is None:
        return one_value, None
    two = score_two_request(full, alone, context=prompt.context, response=prompt.scored, max_tokens=policy.max_tokens)
    two_value = two.map(lambda scored: scored.log_prob).value_or(None)
    return one_value, two_value


async def non_ascii_check(
    policy: OpenAICompatiblePolicy,
    probes: Sequence[tuple[str, str]] = NON_ASCII_PROBES,
    tolerance: float = AGREEMENT_TOLERANCE,
) -> Check:
    """One request and two requests agree on every non-ASCII probe both can score."""
    one_count = two_count = 0
    disagreements: list[str] = []
    for context, response in probes:
        rendered = policy.render(context, response).value_or(None)
        if rendered is None:
            continue
        one, two = await _both_ways(policy, rendered)
        one_count += one is not None
        two_count += two is not None
        if one is not None and two is not None and abs(one - two) > tolerance:
            disagreements.append(f"{context!r} + {response!r}: {one:.4f} in one request, {two:.4f} in two")
    n = len(probes)
    if disagreements:
        return Check(
            name="non_ascii",
            passed=False,
            detail="the response's tokens are misplaced on this endpoint: " + "; ".join(disagreements),
        )
    advice = ""
    if two_count > one_count and not policy.two_request_fallback:
        advice = " (turn on two_request_fallback to score the rest)"
    return Check(
        name="non_ascii",
        passed=True,
        detail=f"{one_count}/{n} probes scored in one request, {two_count}/{n} in two, all agreeing{advice}",
    )


async def batching_check(policy: OpenAICompatiblePolicy, prompts: tuple[str, str]) -> Check:
    """Whether one request may carry two prompts."""
    results = await policy.request_echoes(list(prompts))
    failures = [error for result in results for error in [result.swap().value_or(None)] if error is not None]
    if not failures:
        return Check(name="batching", passed=True, detail="a request with 2 prompts works", required=False)
    return Check(
        name="batching",
        passed=False,
        required=False,
        detail=f"a request with 2 prompts failed ({failures[0].kind}): the backend sends one prompt "
        "per request to this endpoint; set batch_size = 1",
    )


def _prompt_log_probs(echo: Echo, prompt: str, max_tokens: int) -> tuple[float | None, ...] | None:
    match sealed(prompt_token_count(echo, prompt, max_tokens)):
        case Success(count):
            return echo.log_probs[:count]
        case Failure(_):
            return None


async def temperature_check(
    policy: OpenAICompatiblePolicy, prompt: str, tolerance: float = AGREEMENT_TOLERANCE
) -> tuple[Check, TemperatureSemantics | None]:
    """Whether echoed log probs change with ``temperature`` (measured, then recorded)."""
    other = 0.5 if policy.temperature == 1.0 else 1.0
    at_policy, at_other = await asyncio.gather(
        policy.request_echoes([prompt]), policy.request_echoes([prompt], temperature=other)
    )
    first, second = _first(at_policy), _first(at_other)
    mine = None if first is None else _prompt_log_probs(first, prompt, policy.max_tokens)
    theirs = None if second is None else _prompt_log_probs(second, prompt, policy.max_tokens)
    if mine is None or theirs is None or len(mine) != len(theirs):
        return Check(name="temperature", passed=False, required=False, detail="could not be measured"), None
    difference = max(
        (abs(a - b) for a, b in zip(mine, theirs, strict=True) if a is not None and b is not None), default=0.0
    )
    if difference > tolerance:
        detail = (
            f"echoed log probs are scaled by temperature (they moved {difference:.3g} nats between "
            f"T = {policy.temperature:g} and T = {other:g})"
        )
        return Check(name="temperature", passed=True, required=False, detail=detail), "scaled"
    if policy.temperature != 1.0:
        detail = (
            f"echoed log probs are the model's raw ones whatever the temperature: a policy sampled at "
            f"T = {policy.temperature:g} is not what this endpoint scores"
        )
        return Check(name="temperature", passed=False, required=False, detail=detail), "raw"
    detail = "echoed log probs are the model's raw ones (temperature is not applied)"
    return Check(name="temperature", passed=True, required=False, detail=detail), "raw"
