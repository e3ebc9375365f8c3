"""The ``/v1/completions`` wire format: build a teacher-forcing request, parse the answer.

Pure. A request carries one prompt or a list of prompts; the answer is split
back into one ``Result[Echo, LogProbError]`` per prompt, so a malformed choice
fails only its own prompt while a malformed body fails them all.

>>> body = encode_request(request_payload(
...     model="m", prompts=["Hi there"], temperature=1.0, max_tokens=0))
>>> body
b'{"model":"m","prompt":"Hi there","max_tokens":0,"temperature":1.0,"logprobs":1,"echo":true,"stream":false}'
>>> answer = (b'{"choices": [{"index": 0, "text": "Hi there", "logprobs": {"tokens": ["Hi", " there"], '
...           b'"token_logprobs": [null, -1.5], "text_offset": [0, 2]}}]}')
>>> parse_completions(answer, n_prompts=1, request_hash="h")  # doctest: +ELLIPSIS
[<Success: Echo(text='Hi there', tokens=('Hi', ' there'), log_probs=(None, -1.5), text_offset=(0, 2), ...)>]
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final, TypeAlias, TypeGuard, TypeVar

import msgspec
from returns.result import Failure, Result, Success

from cje_fp.errors import ConnectionFailed, HttpDetail, LogProbError, MalformedResponse


class Echo(msgspec.Struct, frozen=True, kw_only=True, gc=False):  # no container of it can form a cycle
    """One choice of an answer: the echoed text and each token with its log prob.

    A frozen ``msgspec.Struct`` rather than an attrs class: one is built per
    scored cell, and this costs a tenth of a frozen attrs instance.
    """

    text: str | None
    tokens: tuple[str, ...]
    log_probs: tuple[float | None, ...]
    text_offset: tuple[int, ...] | None
    finish_reason: str | None = None
    #: From the answer's ``usage``, when the request held this prompt only: how
    #: many tokens the server counted in the prompt (with any BOS it added,
    #: echoed or not) and how many it generated after it.
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


EchoResult: TypeAlias = Result[Echo, LogProbError]
"""The echo of one prompt, or why there is none."""

JsonObject: TypeAlias = dict[str, object]


def request_payload(
    *, model: str, prompts: Sequence[str], temperature: float, max_tokens: int, echo: bool = True
) -> JsonObject:
    """The JSON body asking to echo ``prompts`` with their tokens' log probs
    (or, with ``echo=False``, the generated tokens' only: for ``doctor``).

    A single prompt is sent as a string, several as a list.
    """
    return {
        "model": model,
        "prompt": prompts[0] if len(prompts) == 1 else list(prompts),
        "max_tokens": max_tokens,
        "temperature": temperature,
        "logprobs": 1,
        "echo": echo,
        "stream": False,
    }


def encode_request(payload: JsonObject) -> bytes:
    """The request body's bytes (compact UTF-8 JSON, so that its hash is stable)."""
    return _ENCODER.encode(payload)


_ENCODER: Final = msgspec.json.Encoder()


def _malformed(reason: str, request_hash: str) -> MalformedResponse:
    return MalformedResponse(reason=reason, http=HttpDetail(status=200, request_hash=request_hash))


# The usual answer, decoded straight into typed structs (``top_logprobs`` and
# every other field we do not use are skipped without building objects). An
# answer these do not fit is decoded again generically, to say precisely what
# is wrong with which choice.


class _LogprobsWire(msgspec.Struct, gc=False):  # holds no containers that could form a cycle
    tokens: tuple[str, ...]
    token_logprobs: tuple[float | None, ...]
    text_offset: tuple[int, ...] | None = None


class _ChoiceWire(msgspec.Struct, gc=False):
    index: int | None = None
    text: str | None = None
    logprobs: _LogprobsWire | None = None
    finish_reason: str | None = None


class _UsageWire(msgspec.Struct, gc=False):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _CompletionWire(msgspec.Struct):
    choices: list[_ChoiceWire]
    usage: _UsageWire | None = None


_DECODER: Final = msgspec.json.Decoder(_CompletionWire)


def parse_completions(body: bytes, *, n_prompts: int, request_hash: str) -> list[EchoResult]:
    """One ``Echo`` (or error) per prompt, in prompt order.

    A body that is not JSON did not arrive whole: a transient ``ConnectionFailed``.

    >>> parse_completions(b'{"choices": [', n_prompts=2, request_hash="h")[1].alt(lambda error: (error.kind, error.transient))
    <Failure: ('connection_failed', True)>
    >>> parse_completions(b'{"object": "list"}', n_prompts=1, request_hash="h")[0].alt(lambda error: error.kind)
    <Failure: malformed_response>
    """
    try:
        typed = _DECODER.decode(body)
    except msgspec.MsgspecError:
        return _parse_generic(body, n_prompts=n_prompts, request_hash=request_hash)
    choices = typed.choices
    if len(choices) != n_prompts:
        reason = f"{len(choices)} choices for {n_prompts} prompts"
        return [Failure(_malformed(reason, request_hash))] * n_prompts
    if any(choice.index != position for position, choice in enumerate(choices)):
        ordered = _in_prompt_order(choices, [choice.index for choice in choices])
        if ordered is None:
            return [Failure(_malformed("choice indices are not 0..n-1", request_hash))] * n_prompts
        choices = ordered
    usage = typed.usage
    if n_prompts == 1 and usage is not None:
        # Counts are per answer: they describe the prompt only when it is alone.
        return [_typed_choice(choices[0], request_hash, usage)]
    return [_typed_choice(choice, request_hash) for choice in choices]


def _with_usage(echo: Echo, prompt_tokens: object, completion_tokens: object) -> Echo:
    return msgspec.structs.replace(echo, prompt_tokens=_count(prompt_tokens), completion_tokens=_count(completion_tokens))


def _typed_choice(choice: _ChoiceWire, request_hash: str, usage: _UsageWire | None = None) -> EchoResult:
    logprobs = choice.logprobs
    if logprobs is None:
        return Failure(_malformed("missing logprobs", request_hash))
    tokens, values, offsets = logprobs.tokens, logprobs.token_logprobs, logprobs.text_offset
    if len(values) != len(tokens):
        reason = f"token_logprobs has {len(values)} entries for {len(tokens)} tokens"
        return Failure(_malformed(reason, request_hash))
    if offsets is not None and len(offsets) != len(tokens):
        return Failure(_malformed("text_offset is not one int per token", request_hash))
    if usage is None:
        return Success(
            Echo(
                text=choice.text,
                tokens=tokens,
                log_probs=values,
                text_offset=offsets,
                finish_reason=choice.finish_reason,
            )
        )
    return Success(
        Echo(
            text=choice.text,
            tokens=tokens,
            log_probs=values,
            text_offset=offsets,
            finish_reason=choice.finish_reason,
            prompt_tokens=_count(usage.prompt_tokens),
            completion_tokens=_count(usage.completion_tokens),
        )
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _parse_generic(body: bytes, *, n_prompts: int, request_hash: str) -> list[EchoResult]:
    try:
        document: object = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # A whole answer is JSON: this one was cut short or mangled on the way (a proxy, a reset
        # stream), as a dropped connection is, and a retry within the bound may get it whole.
        reason = f"HTTP 200 but the body ({len(body)} bytes) is not complete JSON: cut short on the way?"
        return [Failure(ConnectionFailed(reason=reason, request_hash=request_hash))] * n_prompts
    choices = document.get("choices") if isinstance(document, dict) else None
    if not isinstance(choices, list):
        return [Failure(_malformed("no 'choices' list", request_hash))] * n_prompts
    if len(choices) != n_prompts:
        reason = f"{len(choices)} choices for {n_prompts} prompts"
        return [Failure(_malformed(reason, request_hash))] * n_prompts
    indices = [choice.get("index") if isinstance(choice, dict) else None for choice in choices]
    ordered = _in_prompt_order(choices, indices)
    if ordered is None:
        return [Failure(_malformed("choice indices are not 0..n-1", request_hash))] * n_prompts
    results = [parse_choice(choice, request_hash) for choice in ordered]
    usage = document.get("usage") if isinstance(document, dict) else None
    if n_prompts == 1 and isinstance(usage, dict) and isinstance(results[0], Success):
        results = [
            results[0].map(
                lambda echo: _with_usage(echo, usage.get("prompt_tokens"), usage.get("completion_tokens"))
            )
        ]
    return results


def _in_prompt_order(choices: list[_Choice], indices: list[object]) -> list[_Choice] | None:
    if all(index is None for index in indices):
        return choices
    if sorted(i for i in indices if isinstance(i, int) and not isinstance(i, bool)) != list(range(len(choices))):
        return None
    ordered: list[_Choice | None] = [None] * len(choices)
    for index, choice in zip(indices, choices, strict=True):
        assert isinstance(index, int)
        ordered[index] = choice
    return [choice for choice in ordered if choice is not None]


_Choice = TypeVar("_Choice")


def parse_choice(choice: object, request_hash: str) -> EchoResult:
    """The ``Echo`` in one choice, or ``MalformedResponse`` saying what is missing."""
    if not isinstance(choice, dict):
        return Failure(_malformed("choice is not an object", request_hash))
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict):
        return Failure(_malformed("missing logprobs", request_hash))
    tokens = logprobs.get("tokens")
    values = logprobs.get("token_logprobs")
    if not _is_str_list(tokens):
        return Failure(_malformed("missing or non-string tokens", request_hash))
    if not _is_number_list(values):
        return Failure(_malformed("missing or non-numeric token_logprobs", request_hash))
    if len(values) != len(tokens):
        reason = f"token_logprobs has {len(values)} entries for {len(tokens)} tokens"
        return Failure(_malformed(reason, request_hash))
    offsets = logprobs.get("text_offset")
    if offsets is not None and not _is_offsets(offsets, len(tokens)):
        return Failure(_malformed("text_offset is not one int per token", request_hash))
    text = choice.get("text")
    finish = choice.get("finish_reason")
    return Success(
        Echo(
            text=text if isinstance(text, str) else None,
            tokens=tuple(tokens),
            log_probs=_as_floats(values),
            text_offset=None if offsets is None else tuple(offsets),
            finish_reason=finish if isinstance(finish, str) else None,
        )
    )


_FLOAT_OR_NULL: Final = frozenset({float, type(None)})


def _as_floats(values: list[float | int | None]) -> tuple[float | None, ...]:
    if _FLOAT_OR_NULL.issuperset(map(type, values)):
        return tuple(values)  # the usual case: nothing to convert
    return tuple([None if value is None else float(value) for value in values])


def _is_str_list(value: object) -> TypeGuard[list[str]]:
    return isinstance(value, list) and {str}.issuperset(map(type, value))


_NUMBER_OR_NULL: Final = frozenset({float, int, type(None)})


def _is_number_list(value: object) -> TypeGuard[list[float | int | None]]:
    # Exact type checks: a bool or a numeric string is not a log prob.
    return isinstance(value, list) and _NUMBER_OR_NULL.issuperset(map(type, value))


def _is_offsets(value: object, length: int) -> TypeGuard[list[int]]:
    return isinstance(value, list) and len(value) == length and {int}.issuperset(map(type, value))
