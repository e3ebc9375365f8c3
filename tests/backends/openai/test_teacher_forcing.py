"""Teacher-forcing boundary logic: exact sums, and each pathology its own error."""

from __future__ import annotations

import math
from itertools import accumulate

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from returns.result import Result

from cje_fp.backends.openai._completions import Echo, parse_completions
from cje_fp.backends.openai._teacher_forcing import (
    BOUNDARY_SPANS_TOKEN,
    CRLF_NORMALIZATION,
    ECHO_MISMATCH,
    ECHO_TOO_SHORT,
    END_NOT_FOUND,
    NO_RESPONSE_TOKENS,
    OFFSETS_INCONSISTENT,
    PREFIX_MISMATCH,
    UNDECODABLE_TOKEN,
    WHITESPACE_NORMALIZATION,
    ScoredResponse,
    classify_echo_mismatch,
    prompt_token_count,
    score_response,
    score_two_request,
    token_bytes,
)
from cje_fp.errors._log_prob import InvalidLogProb, LogProbError, MalformedResponse, TokenBoundaryError
from tests.conftest import error_of, value_of

TOKEN = st.text(alphabet="ab \n\té☃", min_size=1, max_size=4)
LOG_PROB = st.floats(min_value=-20.0, max_value=0.0, allow_nan=False)


def echo_of(
    tokens: list[str],
    values: list[float | None],
    *,
    offsets: bool = True,
    text: str | None = None,
) -> Echo:
    """An echo as a vLLM-style server would send it: text, tokens, char offsets."""
    starts = list(accumulate(map(len, tokens[:-1]), initial=0))
    return Echo(
        text="".join(tokens) if text is None else text,
        tokens=tuple(tokens),
        log_probs=tuple(values),
        text_offset=tuple(starts) if offsets else None,
    )


def boundary_reason(result: Result[object, LogProbError]) -> str:
    error = error_of(result)
    assert isinstance(error, TokenBoundaryError), error
    return error.reason


@st.composite
def split_echo(draw: st.DrawFn) -> tuple[list[str], list[float | None], int]:
    tokens = draw(st.lists(TOKEN, min_size=2, max_size=12))
    values: list[float | None] = [None, *draw(st.lists(LOG_PROB, min_size=len(tokens) - 1, max_size=len(tokens) - 1))]
    split = draw(st.integers(min_value=1, max_value=len(tokens) - 1))
    return tokens, values, split


@given(split_echo(), st.booleans())
def test_the_response_is_the_exact_sum_of_its_tokens(case: tuple[list[str], list[float | None], int], offsets: bool) -> None:
    tokens, values, split = case
    context, response = "".join(tokens[:split]), "".join(tokens[split:])
    scored = value_of(score_response(echo_of(tokens, values, offsets=offsets), context=context, response=response))
    assert scored.log_prob == math.fsum(v for v in values[split:] if v is not None)
    assert (scored.start, scored.end) == (split, len(tokens))
    assert scored.method == ("text_offset" if offsets else "utf8_bytes")


@given(split_echo(), st.integers(min_value=1, max_value=3))
def test_generated_tokens_past_the_prompt_are_ignored(case: tuple[list[str], list[float | None], int], extra: int) -> None:
    tokens, values, split = case
    context, response = "".join(tokens[:split]), "".join(tokens[split:])
    for offsets in (True, False):
        echo = echo_of([*tokens, *[" the"] * extra], [*values, *[-0.5] * extra], offsets=offsets)
        scored = value_of(score_response(echo, context=context, response=response))
        assert scored.end == len(tokens)
        assert scored.log_prob == math.fsum(v for v in values[split:] if v is not None)


@given(split_echo(), st.data())
def test_a_boundary_inside_a_token_is_refused_by_both_methods(
    case: tuple[list[str], list[float | None], int], data: st.DataObject
) -> None:
    tokens, values, _ = case
    full = "".join(tokens)
    boundaries = set(accumulate(map(len, tokens), initial=0))
    inside = [position for position in range(1, len(full)) if position not in boundaries]
    assume(inside)
    cut = data.draw(st.sampled_from(inside))
    for offsets in (True, False):
        result = score_response(echo_of(tokens, values, offsets=offsets), context=full[:cut], response=full[cut:])
        assert boundary_reason(result) == BOUNDARY_SPANS_TOKEN


@given(split_echo())
def test_server_added_bos_is_skipped(case: tuple[list[str], list[float | None], int]) -> None:
    tokens, values, split = case
    context, response = "".join(tokens[:split]), "".join(tokens[split:])
    with_bos = echo_of(["<s>", *tokens], [None, -1.0, *values[1:]])
    # vLLM: offsets count the BOS text, the echoed text does not contain it.
    shifted = Echo(
        text="".join(tokens),
        tokens=with_bos.tokens,
        log_probs=with_bos.log_probs,
        text_offset=with_bos.text_offset,
    )
    for echo in (shifted, echo_of(["<s>", *tokens], [None, -1.0, *values[1:]], offsets=False)):
        scored = value_of(score_response(echo, context=context, response=response))
        assert (scored.start, scored.end) == (split + 1, len(tokens) + 1)
        assert scored.log_prob == math.fsum(v for v in values[split:] if v is not None)


@given(split_echo(), st.sampled_from(["nan", "inf", "positive", "null"]), st.data())
def test_a_bad_value_anywhere_in_the_prompt_is_its_own_error(
    case: tuple[list[str], list[float | None], int], bad: str, data: st.DataObject
) -> None:
    tokens, values, split = case
    where = data.draw(st.integers(min_value=1, max_value=len(tokens) - 1))
    replacement = {"nan": math.nan, "inf": -math.inf, "positive": 0.5, "null": None}[bad]
    values = [*values[:where], replacement, *values[where + 1 :]]
    error = error_of(
        score_response(echo_of(tokens, values), context="".join(tokens[:split]), response="".join(tokens[split:]))
    )
    if bad == "null":
        assert isinstance(error, MalformedResponse) and f"token {where}" in error.reason
    else:
        assert isinstance(error, InvalidLogProb)
        assert error.reason == {"nan": "NaN", "inf": "infinite", "positive": "positive"}[bad]


def test_the_first_token_may_be_null_but_not_positive() -> None:
    tokens = ["Q", ":", " yes"]
    assert value_of(score_response(echo_of(tokens, [None, -1.0, -2.0]), context="Q:", response=" yes")).log_prob == -2.0
    assert isinstance(
        error_of(score_response(echo_of(tokens, [0.5, -1.0, -2.0]), context="Q:", response=" yes")), InvalidLogProb
    )


@pytest.mark.parametrize(
    ("prompt", "echoed", "reason"),
    [
        ("a\r\nb", "a\nb", CRLF_NORMALIZATION),
        ("a  b", "a b", WHITESPACE_NORMALIZATION),
        ("a b ", "a b", ECHO_TOO_SHORT),
        ("a b", "x b", ECHO_MISMATCH),
    ],
)
def test_echo_normalisation_is_named(prompt: str, echoed: str, reason: str) -> None:
    assert classify_echo_mismatch(prompt, echoed) == reason
    tokens = [echoed[:1], echoed[1:]]
    for offsets in (True, False):
        result = score_response(echo_of(tokens, [None, -1.0], offsets=offsets), context=prompt[:1], response=prompt[1:])
        assert boundary_reason(result) == reason


def test_missing_and_short_answers() -> None:
    assert isinstance(error_of(score_response(echo_of([], []), context="a", response="b")), MalformedResponse)
    body = b'{"choices": [{"text": "ab", "logprobs": {"tokens": ["a", "b"], "token_logprobs": [null]}}]}'
    error = error_of(parse_completions(body, n_prompts=1, request_hash="h")[0])
    assert isinstance(error, MalformedResponse) and "1 entries for 2 tokens" in error.reason
    body = b'{"choices": [{"text": "ab", "logprobs": null}]}'
    assert error_of(parse_completions(body, n_prompts=1, request_hash="h")[0]).describe().startswith(
        "malformed_response(reason='missing logprobs'"
    )


def test_an_empty_response_has_no_tokens() -> None:
    result = score_response(echo_of(["Q", ":"], [None, -1.0]), context="Q:", response="")
    assert boundary_reason(result) == NO_RESPONSE_TOKENS


def test_offsets_that_do_not_match_the_tokens_are_refused() -> None:
    # SentencePiece pieces decoded alone lose their leading space, and the
    # server's offsets count the decoded lengths: the offsets are wrong.
    echo = Echo(text="Hello world", tokens=("Hello", "world"), log_probs=(None, -1.0), text_offset=(0, 5))
    assert boundary_reason(score_response(echo, context="Hello", response=" world")) == OFFSETS_INCONSISTENT


def test_offsets_with_a_gap_place_the_boundary_at_either_side_of_it() -> None:
    # Offsets from a tokenizer that skips the space before "world".
    echo = Echo(text="Hello world", tokens=("Hello", "world"), log_probs=(None, -1.5), text_offset=(0, 6))
    for context, response in (("Hello", " world"), ("Hello ", "world")):
        assert value_of(score_response(echo, context=context, response=response)) == ScoredResponse(
            log_prob=-1.5, start=1, end=2, method="text_offset"
        )


def test_byte_tokens_are_counted_in_bytes() -> None:
    assert token_bytes("bytes:\\xe2\\x98") == "☃".encode()[:2]
    assert token_bytes("bytes:oops") is None
    echo = Echo(
        text=None,
        tokens=("a", "bytes:\\xe2\\x98", "bytes:\\x83", " b"),
        log_probs=(None, -1.0, -2.0, -4.0),
        text_offset=None,
    )
    assert value_of(score_response(echo, context="a", response="☃ b")).log_prob == -7.0
    assert value_of(score_response(echo, context="a☃", response=" b")).log_prob == -4.0
    assert boundary_reason(score_response(echo, context="a\xe2", response="\x98\x83 b")) == ECHO_MISMATCH
    bad = Echo(text=None, tokens=("a", "bytes:zz"), log_probs=(None, -1.0), text_offset=None)
    assert boundary_reason(score_response(bad, context="a", response="b")) == UNDECODABLE_TOKEN


@given(split_echo())
def test_two_requests_give_the_difference_when_the_context_tokens_are_a_prefix(
    case: tuple[list[str], list[float | None], int],
) -> None:
    tokens, values, split = case
    context, response = "".join(tokens[:split]), "".join(tokens[split:])
    full = echo_of(tokens, values)
    alone = echo_of(tokens[:split], values[:split])
    scored = value_of(score_two_request(full, alone, context=context, response=response, max_tokens=0))
    assert scored.log_prob == pytest.approx(math.fsum(v for v in values[split:] if v is not None), abs=1e-9)
    assert (scored.start, scored.end, scored.method) == (split, len(tokens), "two_request")


def test_two_requests_refuse_a_context_that_tokenizes_differently() -> None:
    full = echo_of(["Hello", " world"], [None, -1.0])
    alone = echo_of(["Hello", " wor"], [None, -3.0])
    result = score_two_request(full, alone, context="Hello wor", response="ld", max_tokens=0)
    assert boundary_reason(result) == PREFIX_MISMATCH


def test_two_requests_with_a_generated_token_need_the_prompt_end() -> None:
    full = Echo(text=None, tokens=("Ga", "Gb", "Gc"), log_probs=(None, -1.0, -0.5), text_offset=None)
    assert boundary_reason(prompt_token_count(full, "a b", max_tokens=1)) == END_NOT_FOUND
    counted = Echo(
        text=None, tokens=("Ga", "Gb", "Gc"), log_probs=(None, -1.0, -0.5), text_offset=None, finish_reason="length"
    )
    assert value_of(prompt_token_count(counted, "a b", max_tokens=1)) == 2
