"""``doctor``: probe an OpenAI-compatible endpoint and say whether teacher forcing works there.

It sends a few small requests with the policy's own settings and checks, in order:

- ``reachable``: the endpoint answers (else the error kind: unauthorized,
  model not found, timeout, ...);
- ``prompt_logprobs``: the answer covers the prompt's tokens, not only the
  generated ones. Servers that silently return generated-token log probs only
  (llama.cpp's behaviour) fail here and the endpoint is refused;
- ``counts_align``: one token, one log prob (and one offset) each;
- ``values_valid``: every log prob is finite and <= 0 (the first may be null);
- ``boundary``: the response's tokens are found exactly after the context;
- ``repeatable``: two identical requests give the same prompt tokens, and
  their log probs within ``noise_tolerance`` (the noise floor is reported
  either way; generated tokens may differ);
- then the probes of ``_doctor_probes``: ``generation`` (bounded at the
  policy's ``max_tokens``), ``aligned`` (echoed log probs belong to their
  token), ``non_ascii`` (one request and two agree on emoji, CJK, NBSP, a
  space-led response), ``batching`` and ``temperature`` (measured and
  recorded in ``DoctorReport.temperature_semantics``).

Required: the first four, ``boundary``, ``generation``, ``aligned`` (when it
could be checked) and ``non_ascii``; ``repeatable``, ``batching`` and
``temperature`` are advice. ``cje-fp doctor`` prints ``DoctorReport.summary()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._doctor_probes import (
    Check,
    TemperatureSemantics,
    agreement_tolerance,
    alignment_check,
    alignment_verdict,
    batching_check,
    generation_check,
    non_ascii_check,
    temperature_check,
)
from cje_fp.backends.openai._log_probs import check_log_probs
from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.backends.openai._teacher_forcing import ScoredResponse, score_response
from cje_fp.backends.openai._templates import RenderedPrompt
from cje_fp.backends.openai._two_request import prompt_token_count, score_two_request
from cje_fp.errors import LogProbError, MalformedResponse, redact_url, sealed

_T = TypeVar("_T")

PROBE_CONTEXT: Final = "Question: What is the capital of France?\nAnswer:"
PROBE_RESPONSE: Final = " The capital of France is Paris."


@attrs.frozen(kw_only=True)
class DoctorReport:
    """Everything ``doctor`` found about one endpoint and model."""

    base_url: str
    model: str
    template_id: str | None
    checks: tuple[Check, ...]
    first_token_null: bool | None = None
    noise_floor: float | None = None
    temperature_semantics: TemperatureSemantics | None = None
    """``"raw"`` when echoed log probs ignore ``temperature``, ``"scaled"`` when they
    follow it, ``None`` when not measured: results record it, and log-prob
    ratios across different semantics are not comparable."""

    @property
    def usable(self) -> bool:
        """Every required check passed."""
        return all(check.passed for check in self.checks if check.required)

    @property
    def problems(self) -> tuple[Check, ...]:
        """The required checks that failed."""
        return tuple(check for check in self.checks if check.required and not check.passed)

    def summary(self) -> str:
        """A few lines for humans."""
        verdict = "usable" if self.usable else "REFUSED"
        lines = [f"{redact_url(self.base_url)} model={self.model}: {verdict}"]
        for check in self.checks:
            mark = "ok  " if check.passed else ("FAIL" if check.required else "warn")
            lines.append(f"  [{mark}] {check.name}: {check.detail}")
        return "\n".join(lines)


def _report(
    policy: OpenAICompatiblePolicy,
    checks: Sequence[Check],
    *,
    first_token_null: bool | None = None,
    noise_floor: float | None = None,
    temperature_semantics: TemperatureSemantics | None = None,
) -> DoctorReport:
    return DoctorReport(
        base_url=", ".join(policy.endpoints),
        model=policy.model,
        template_id=policy.template_id,
        checks=tuple(checks),
        first_token_null=first_token_null,
        noise_floor=noise_floor,
        temperature_semantics=temperature_semantics,
    )


def _check(name: str, result: Result[_T, LogProbError], describe: Callable[[_T], str]) -> Check:
    match sealed(result):
        case Success(value):
            return Check(name=name, passed=True, detail=describe(value))
        case Failure(error):
            return Check(name=name, passed=False, detail=error.describe())


def _valid(_: None) -> str:
    return "finite and <= 0"


def _located(scored: ScoredResponse) -> str:
    return f"{scored.n_tokens} response tokens, found by {scored.method}"


def _generated_only(echo: Echo, prompt: str, max_tokens: int) -> bool:
    """Whether the answer holds log probs for generated tokens only."""
    covered = echo.text is not None and echo.text.startswith(prompt)
    return len(echo.tokens) <= max_tokens or (echo.text is not None and not covered)


def _echo_check(echo: Echo, generated: EchoResult, prompt: str, max_tokens: int) -> Check:
    match sealed(generated):
        case Success(probe) if _generated_only(probe, prompt, max_tokens=1):
            return Check(
                name="prompt_logprobs",
                passed=False,
                detail="the server returns log probs for generated tokens only (llama.cpp "
                "behaviour): teacher forcing is impossible here",
            )
        case _:
            pass
    if _generated_only(echo, prompt, max_tokens=0):
        return Check(name="prompt_logprobs", passed=False, detail="the prompt's tokens were not echoed")
    count = prompt_token_count(echo, prompt, max_tokens).value_or(None)
    shown = f"{count} prompt tokens" if count is not None else f"{len(echo.tokens)} tokens (prompt and generated)"
    return Check(name="prompt_logprobs", passed=True, detail=f"{shown} echoed")


def _is_count_problem(reason: str) -> bool:
    return "entries for" in reason or "text_offset" in reason


def _noise_floor(first: Echo, second: Echo, prompt: str, max_tokens: int) -> float | None:
    """The largest difference between two echoes' prompt log probs (``None`` if their
    prompt tokens differ); generated tokens are sampled, so they are left out."""
    n_first = prompt_token_count(first, prompt, max_tokens).value_or(None)
    n_second = prompt_token_count(second, prompt, max_tokens).value_or(None)
    if n_first is None or n_first != n_second or first.tokens[:n_first] != second.tokens[:n_first]:
        return None
    differences = [
        abs(a - b) for a, b in zip(first.log_probs[:n_first], second.log_probs[:n_first], strict=True)
        if a is not None and b is not None
    ]
    return max(differences, default=0.0)


async def doctor_async(
    policy: OpenAICompatiblePolicy,
    *,
    context: str = PROBE_CONTEXT,
    response: str = PROBE_RESPONSE,
    noise_tolerance: float = 1e-6,
) -> DoctorReport:
    """Probe ``policy``'s endpoint (see the module docstring)."""
    rendered = policy.render(context, response)
    match sealed(rendered):
        case Failure(error):
            return _report(policy, [Check(name="template", passed=False, detail=error.describe())])
        case Success(prompt):
            return await _probe(policy, prompt, noise_tolerance)


async def _probe(policy: OpenAICompatiblePolicy, prompt: RenderedPrompt, noise_tolerance: float) -> DoctorReport:
    text = prompt.context + prompt.scored
    first, second, generated = await asyncio.gather(
        policy.request_echoes([text]),
        policy.request_echoes([text]),
        policy.request_echoes([text], max_tokens=1),
    )
    match sealed(first[0]):
        case Failure(MalformedResponse() as error):
            answered = Check(name="reachable", passed=True, detail="answered")
            name = "counts_align" if _is_count_problem(error.reason) else "prompt_logprobs"
            return _report(policy, [answered, Check(name=name, passed=False, detail=error.describe())])
        case Failure(error):
            return _report(policy, [Check(name="reachable", passed=False, detail=error.describe())])
        case Success(echo):
            report = _examine(policy, prompt, echo, second[0], generated[0], noise_tolerance)
            return await _probe_further(policy, prompt, echo, report)


async def _probe_further(
    policy: OpenAICompatiblePolicy, prompt: RenderedPrompt, echo: Echo, report: DoctorReport
) -> DoctorReport:
    """The probes of ``_doctor_probes``, once the echo itself is sound."""
    text = prompt.context + prompt.scored
    generation = generation_check(echo, text, policy.max_tokens)
    checks = [*report.checks, generation]
    boundary = next(index for index, check in enumerate(checks) if check.name == "boundary")
    if not checks[boundary].passed:
        [alone] = await policy.request_echoes([prompt.context])
        two = alone.bind(
            lambda context_echo: score_two_request(
                echo, context_echo, context=prompt.context, response=prompt.scored, max_tokens=policy.max_tokens
            )
        )
        if policy.two_request_fallback:
            checks[boundary] = _check("boundary", two, _located)
        elif isinstance(two, Success):
            hint = "; two requests place it: set two_request_fallback = true"
            checks[boundary] = attrs.evolve(checks[boundary], detail=checks[boundary].detail + hint)
    basics = {check.name: check.passed for check in report.checks}
    needed = ("prompt_logprobs", "counts_align", "values_valid")
    if not generation.passed or not all(basics.get(name, False) for name in needed):
        # Unbounded generation makes every further probe slow; fix it first.
        return attrs.evolve(report, checks=tuple(checks))
    tolerance = agreement_tolerance(report.noise_floor)
    temperature, semantics = await temperature_check(policy, text, tolerance)
    checks.append(await alignment_verdict(policy, semantics, tolerance))
    checks.append(await non_ascii_check(policy, tolerance=tolerance))
    checks.append(await batching_check(policy, (text, prompt.context)))
    checks.append(temperature)
    return attrs.evolve(report, checks=tuple(checks), temperature_semantics=semantics)


def _examine(
    policy: OpenAICompatiblePolicy,
    prompt: RenderedPrompt,
    echo: Echo,
    second: EchoResult,
    generated: EchoResult,
    noise_tolerance: float,
) -> DoctorReport:
    text = prompt.context + prompt.scored
    checks = [
        Check(name="reachable", passed=True, detail="answered"),
        _echo_check(echo, generated, text, policy.max_tokens),
        Check(name="counts_align", passed=True, detail="one log prob per token"),
    ]
    checks.append(_check("values_valid", check_log_probs(echo.log_probs, len(echo.log_probs)), _valid))
    checks.append(
        _check("boundary", score_response(echo, context=prompt.context, response=prompt.scored), _located)
    )
    floor = second.map(lambda again: _noise_floor(echo, again, text, policy.max_tokens)).value_or(None)
    checks.append(
        Check(
            name="repeatable",
            passed=floor is not None and floor <= noise_tolerance,
            detail="identical requests gave different prompt tokens or failed"
            if floor is None
            else f"noise floor {floor:.3g} (tolerance {noise_tolerance:g})",
            required=False,
        )
    )
    first_null = echo.log_probs[0] is None if echo.log_probs else None
    return _report(policy, checks, first_token_null=first_null, noise_floor=floor)


def doctor(
    policy: OpenAICompatiblePolicy,
    *,
    context: str = PROBE_CONTEXT,
    response: str = PROBE_RESPONSE,
    noise_tolerance: float = 1e-6,
) -> DoctorReport:
    """``doctor_async`` for blocking callers (runs in a fresh event loop).

    Probe a real endpoint (here the fake server that ``cje_fp.testing`` ships):

    >>> from cje_fp.testing import FakeServer, FakeServerConfig
    >>> with FakeServer(FakeServerConfig(models=("m",))) as server:
    ...     with OpenAICompatiblePolicy(name="p", base_url=server.base_url, model="m") as policy:
    ...         report = doctor(policy)
    >>> report.usable, report.first_token_null, report.noise_floor
    (True, True, 0.0)
    """
    return asyncio.run(
        doctor_async(policy, context=context, response=response, noise_tolerance=noise_tolerance)
    )


async def _alignment_problems(policies: Sequence[OpenAICompatiblePolicy]) -> list[tuple[str, str]]:
    checks = await asyncio.gather(*(alignment_check(policy) for policy in policies))
    return [
        (policy.name, check.detail)
        for policy, check in zip(policies, checks, strict=True)
        if check.required and not check.passed
    ]


def alignment_problems(policies: Sequence[OpenAICompatiblePolicy]) -> list[tuple[str, str]]:
    """``doctor``'s ``aligned`` probe for each policy (a few requests each): the names of
    those whose echoed log probs belong to another position, with why. An endpoint
    that cannot be probed (down, or no token to force back) is not listed: the run
    itself reports what is wrong with it.

    >>> from cje_fp.testing._server import FakeServer, FakeServerConfig
    >>> with FakeServer(FakeServerConfig(models=("m",))) as server:
    ...     with OpenAICompatiblePolicy(name="p", base_url=server.base_url, model="m") as policy:
    ...         alignment_problems([policy])
    []
    """
    return asyncio.run(_alignment_problems(policies))

