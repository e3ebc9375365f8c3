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
- ``repeatable``: two identical requests give the same tokens, and log probs
  within ``noise_tolerance`` (the noise floor is reported either way).

The first four plus ``boundary`` are required; ``repeatable`` is advice.
A CLI (issue #5) prints ``DoctorReport.summary()``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.backends.openai._teacher_forcing import ScoredResponse, check_log_probs, score_response
from cje_fp.backends.openai._templates import RenderedPrompt
from cje_fp.errors import LogProbError, MalformedResponse, sealed

_T = TypeVar("_T")

PROBE_CONTEXT: Final = "Question: What is the capital of France?\nAnswer:"
PROBE_RESPONSE: Final = " The capital of France is Paris."


@attrs.frozen(kw_only=True)
class Check:
    """One finding: its name, whether it passed, what was seen, whether it is required."""

    name: str
    passed: bool
    detail: str
    required: bool = True


@attrs.frozen(kw_only=True)
class DoctorReport:
    """Everything ``doctor`` found about one endpoint and model."""

    base_url: str
    model: str
    template_id: str | None
    checks: tuple[Check, ...]
    first_token_null: bool | None = None
    noise_floor: float | None = None

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
        lines = [f"{self.base_url} model={self.model}: {verdict}"]
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
) -> DoctorReport:
    return DoctorReport(
        base_url=policy.base_url,
        model=policy.model,
        template_id=policy.template_id,
        checks=tuple(checks),
        first_token_null=first_token_null,
        noise_floor=noise_floor,
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


def _echo_check(echo: Echo, generated: EchoResult, prompt: str) -> Check:
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
    return Check(name="prompt_logprobs", passed=True, detail=f"{len(echo.tokens)} prompt tokens echoed")


def _is_count_problem(reason: str) -> bool:
    return "entries for" in reason or "text_offset" in reason


def _noise_floor(first: Echo, second: Echo) -> float | None:
    if first.tokens != second.tokens:
        return None
    differences = [
        abs(a - b) for a, b in zip(first.log_probs, second.log_probs, strict=True)
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
            return _examine(policy, prompt, echo, second[0], generated[0], noise_tolerance)


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
        _echo_check(echo, generated, text),
        Check(name="counts_align", passed=True, detail="one log prob per token"),
    ]
    checks.append(_check("values_valid", check_log_probs(echo.log_probs, len(echo.log_probs)), _valid))
    checks.append(
        _check("boundary", score_response(echo, context=prompt.context, response=prompt.scored), _located)
    )
    floor = second.map(lambda again: _noise_floor(echo, again)).value_or(None)
    checks.append(
        Check(
            name="repeatable",
            passed=floor is not None and floor <= noise_tolerance,
            detail="identical requests gave different tokens or failed"
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
