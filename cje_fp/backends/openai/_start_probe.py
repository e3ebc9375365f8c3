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

About 9 requests per endpoint (the aligned probe stops after 3 tokens forced back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs
from returns.result import Failure, Success

from cje_fp.backends.openai._completions import EchoResult
from cje_fp.backends.openai._doctor_probes import TemperatureSemantics, alignment_check, temperature_check
from cje_fp.backends.openai._two_request import prompt_token_count
from cje_fp.errors import sealed

if TYPE_CHECKING:
    from cje_fp.backends.openai._policy import OpenAICompatiblePolicy

#: The text whose log prob identifies the model behind an endpoint (sent as is, no template).
PROBE_TEXT: Final = "Question: What is the capital of France?\nAnswer: The capital of France is Paris."
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


def _log_prob(result: EchoResult, max_tokens: int) -> tuple[float | None, str]:
    match sealed(result):
        case Success(echo):
            match sealed(prompt_token_count(echo, PROBE_TEXT, max_tokens)):
                case Success(count):
                    values = [value for value in echo.log_probs[:count] if value is not None]
                    return sum(values), f"probe log prob {sum(values):.4f} over {count} tokens"
                case Failure(problem):
                    return None, f"probe text not placed ({problem.kind})"
        case Failure(error):
            return None, f"probe request failed ({error.kind})"


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
    [echo] = await policy.request_echoes([PROBE_TEXT])
    log_prob, seen = _log_prob(echo, policy.max_tokens)
    if log_prob is None:
        # The endpoint does not answer: the run's first row says why (unreachable, no model, ...).
        return StartProbe(log_prob=None, temperature_semantics=None, refusal=None, summary=seen)
    aligned = await alignment_check(policy)
    refusal = aligned.detail if aligned.required and not aligned.passed else None
    _, semantics = await temperature_check(policy, PROBE_TEXT)
    refusal = refusal or _temperature_refusal(policy, semantics)
    summary = f"{seen}; temperature semantics {semantics or 'unknown'}; aligned: {aligned.detail}"
    return StartProbe(log_prob=log_prob, temperature_semantics=semantics, refusal=refusal, summary=summary)
