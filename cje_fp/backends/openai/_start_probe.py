"""The probe ``score`` runs once per endpoint before scoring: a few requests that catch a wrong server.

- a fixed short text is teacher-forced and the sum of its echoed log probs
  recorded (``probe_log_prob``): on resume, a value that moved beyond
  ``PROBE_TOLERANCE`` means another model (or server version) answers under the
  same name, so the stored cells of that endpoint's policies are stale;
- doctor's ``aligned`` probe: echoed log probs that belong to another position
  (llama-cpp-python serving a model without BOS) refuse the endpoint;
- doctor's ``temperature`` probe: whether echoed log probs follow ``temperature``
  (``"scaled"``) or not (``"raw"``). A policy that samples at a temperature
  other than 1 is refused on a ``"raw"`` endpoint (its log probs would be those
  of temperature 1), and when that cannot be measured.

About 9 requests per endpoint (the aligned probe stops after 3 tokens forced back); an
endpoint that is down, refuses us or never answers is left to the run, which stops on it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

import attrs
from returns.result import Failure, Success

from cje_fp.backends.openai._completions import Echo
from cje_fp.backends.openai._doctor_probes import TemperatureSemantics, alignment_verdict, temperature_check
from cje_fp.backends.openai._two_request import prompt_token_count
from cje_fp.errors import ConnectionFailed, ModelNotFound, Unauthorized, root_cause, sealed

if TYPE_CHECKING:
    from cje_fp.backends.openai._policy import OpenAICompatiblePolicy

#: The text whose log prob identifies the model behind an endpoint (sent as is, no template).
PROBE_TEXT: Final = "Question: What is the capital of France?\nAnswer: The capital of France is Paris."
#: Requests for the probe log prob at most (a sampled token may make one unreadable).
PROBE_ATTEMPTS: Final = 3
#: Failures the run reports better than the probe (its first row stops it, exit 3).
LEFT_TO_THE_RUN: Final = (ConnectionFailed, Unauthorized, ModelNotFound)
#: Two probe log probs of one model differ by at most this (nats; batching noise on vLLM is far smaller).
PROBE_TOLERANCE: Final = 0.05


@attrs.frozen(kw_only=True)
class StartProbe:
    """What the probe found about one endpoint, at one policy's settings."""

    log_prob: float | None
    """The probe text's log prob (``None``: the endpoint did not answer it)."""
    temperature_semantics: TemperatureSemantics | None
    refusal: str | None
    """Why scoring on this endpoint would write wrong numbers (``None``: nothing found)."""
    summary: str


def _log_prob(echo: Echo, max_tokens: int) -> float | None:
    """The sum of the probe text's echoed log probs (``None`` when its tokens cannot be told
    from the generated ones, e.g. a sampled token that is part of a character)."""
    match sealed(prompt_token_count(echo, PROBE_TEXT, max_tokens)):
        case Success(count):
            return math.fsum(value for value in echo.log_probs[:count] if value is not None)
        case Failure(_):
            return None


async def _probe_log_prob(policy: OpenAICompatiblePolicy) -> tuple[float | None, bool, str]:
    """The probe log prob, whether the endpoint answered at all, and what was seen."""
    seen = "no answer"
    answered = False
    for _ in range(PROBE_ATTEMPTS):
        [echo] = await policy.request_echoes([PROBE_TEXT])
        match sealed(echo):
            case Success(found):
                answered = True
                value = _log_prob(found, policy.max_tokens)
                if value is not None:
                    return value, True, f"probe log prob {value:.4f}"
                seen = "probe text's tokens not told from the generated ones"
            case Failure(error):
                seen = f"probe request failed ({root_cause(error).kind})"
                if isinstance(root_cause(error), LEFT_TO_THE_RUN):
                    return None, False, seen
    return None, answered, seen


def _temperature_refusal(policy: OpenAICompatiblePolicy, semantics: TemperatureSemantics | None) -> str | None:
    if policy.temperature == 1.0 or semantics == "scaled":
        return None
    seen = "returns raw log probs (temperature is not applied)" if semantics == "raw" else (
        "could not be checked for whether it applies temperature to echoed log probs"
    )
    return (
        f"policy {policy.name!r} samples at temperature {policy.temperature:g} but its endpoint {seen}: "
        "its log probs would be those of temperature 1 and its weights wrong. Serve log probs "
        "at the sampling temperature, or set temperature = 1 if the logged responses were sampled at 1"
    )


async def start_probe(policy: OpenAICompatiblePolicy) -> StartProbe:
    """Probe ``policy``'s endpoint (see the module docstring)."""
    log_prob, answered, seen = await _probe_log_prob(policy)
    if not answered:
        # Down, refusing us, or failing every time: the run's first row says why.
        return StartProbe(log_prob=None, temperature_semantics=None, refusal=None, summary=seen + ": nothing checked")
    _, semantics = await temperature_check(policy, PROBE_TEXT)
    aligned = await alignment_verdict(policy, semantics)
    refusal = aligned.detail if aligned.required and not aligned.passed else None
    refusal = refusal or _temperature_refusal(policy, semantics)
    summary = f"{seen}; temperature semantics {semantics or 'unknown'}; aligned: {aligned.detail}"
    return StartProbe(log_prob=log_prob, temperature_semantics=semantics, refusal=refusal, summary=summary)
