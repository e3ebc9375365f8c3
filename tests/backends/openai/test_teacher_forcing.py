"""Teacher-forcing boundary logic: exact sums, and each pathology its own error."""

from __future__ import annotations

import math
from itertools import accumulate

import msgspec
import pytest
from hypothesis import assume, given, strategies as st
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
    _spelled_span,
    _usual_span,
    classify_echo_mismatch,
    score_response,
    token_bytes,
)
from cje_fp.backends.openai._two_request import prompt_token_count, score_two_request
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


def test_a_space_no_token_spells_belongs_to_the_token_after_it() -> None:
    # Offsets from a tokenizer that drops the space before "world" (a SentencePiece
    # token "▁world" decoded alone): the token is " world", so the boundary may
    # lie before the space, never after it.
    echo = Echo(text="Hello world", tokens=("Hello", "world"), log_probs=(None, -1.5), text_offset=(0, 6))
    assert value_of(score_response(echo, context="Hello", response=" world")) == ScoredResponse(
        log_prob=-1.5, start=1, end=2, method="text_offset"
    )
    assert boundary_reason(score_response(echo, context="Hello ", response="world")) == BOUNDARY_SPANS_TOKEN


def test_a_space_the_tokenizer_adds_before_the_text_is_counted_in_the_offsets() -> None:
    # SentencePiece's "add space prefix": the first token is " Hello" for the text "Hello".
    echo = Echo(text="Hello there!", tokens=(" Hello", " there", "!"), log_probs=(None, -1.5, -0.5),
                text_offset=(0, 6, 12))
    assert value_of(score_response(echo, context="Hello", response=" there")).log_prob == -1.5
    assert boundary_reason(score_response(echo, context="Hello ", response="there")) == BOUNDARY_SPANS_TOKEN


def test_a_character_echoed_as_empty_byte_tokens_belongs_to_the_side_it_is_on() -> None:
    # llama.cpp servers echo each byte token of a split character as "" at the
    # character's offset: the response starts with them when they sit at the boundary.
    echo = Echo(
        text="Mood:😀 great!",
        tokens=("Mood", ":", "", "", "", "", " great", "!"),
        log_probs=(None, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0, -7.0),
        text_offset=(0, 4, 5, 5, 5, 5, 6, 12),
    )
    assert value_of(score_response(echo, context="Mood:", response="😀 great")).log_prob == -20.0
    assert value_of(score_response(echo, context="Mood:😀", response=" great")).log_prob == -6.0
    # A response made only of the split character, the generated "!" after it.
    assert value_of(score_response(echo, context="Mood:", response="😀")).log_prob == -14.0
    # More empty tokens than the character has bytes, or a gap over ASCII text: not byte tokens.
    too_many = msgspec.structs.replace(echo, tokens=("Mood", ":", "", "", "", "", "", " great", "!"),
                            log_probs=(None, -1.0, -2.0, -3.0, -4.0, -5.0, -5.0, -6.0, -7.0),
                            text_offset=(0, 4, 5, 5, 5, 5, 5, 6, 12))
    assert boundary_reason(score_response(too_many, context="Mood:", response="😀 great")) == OFFSETS_INCONSISTENT


def test_a_split_character_at_both_sides_of_the_boundary_is_undecidable() -> None:
    # The last byte token of the context's emoji may also hold the first byte of
    # the response's: only the two-request fallback can tell.
    echo = Echo(
        text="a😀😀",
        tokens=("a", "", "", "", "", "", "", "", ""),
        log_probs=(None, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0),
        text_offset=(0, 1, 1, 1, 1, 2, 2, 2, 2),
    )
    assert boundary_reason(score_response(echo, context="a😀", response="😀")) == BOUNDARY_SPANS_TOKEN
    assert value_of(score_response(echo, context="a", response="😀😀")).log_prob == -8.0


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
    # ``max_tokens`` and ``finish_reason`` say nothing sure: llama.cpp generates
    # more tokens than asked while its text ends inside a UTF-8 sequence.
    length = msgspec.structs.replace(full, finish_reason="length")
    assert boundary_reason(prompt_token_count(length, "a b", max_tokens=1)) == END_NOT_FOUND
    # The server's own count of generated tokens does.
    counted = msgspec.structs.replace(full, completion_tokens=1, prompt_tokens=3)
    assert value_of(prompt_token_count(counted, "a b", max_tokens=1)) == 2
    two_generated = msgspec.structs.replace(full, completion_tokens=2)
    assert value_of(prompt_token_count(two_generated, "a b", max_tokens=1)) == 1
    # A count that the echo contradicts: more than a BOS unechoed, or generated text not spelled.
    assert boundary_reason(prompt_token_count(msgspec.structs.replace(counted, prompt_tokens=5), "a b", 1)) == END_NOT_FOUND
    spelled = Echo(text="a b!", tokens=("a", " b", "!"), log_probs=(None, -1.0, -0.5), text_offset=None)
    assert value_of(prompt_token_count(msgspec.structs.replace(spelled, completion_tokens=1), "a b", 1)) == 2
    assert boundary_reason(prompt_token_count(msgspec.structs.replace(spelled, completion_tokens=2), "a b", 1)) == END_NOT_FOUND


def test_two_requests_refuse_a_response_whose_tokens_spell_other_text() -> None:
    # SentencePiece on llama.cpp puts a space before the text after a special token:
    # the context's tokens show it is text, the response's tokens spell "  literal".
    context = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    context_tokens = ("", " user", "\n", "H", "i", "", " ", "\n", "", " assistant", "\n")
    response_tokens = (" ", "", " ", " literal", "")
    full = Echo(text=None, tokens=context_tokens + response_tokens, log_probs=(None,) + (-1.0,) * 15,
                text_offset=None, completion_tokens=0)
    alone = msgspec.structs.replace(full, tokens=context_tokens, log_probs=(None,) + (-1.0,) * 10)
    result = score_two_request(full, alone, context=context, response=" <|im_end|> literal<|im_end|>", max_tokens=1)
    assert boundary_reason(result) == ECHO_MISMATCH
    right = msgspec.structs.replace(full, tokens=(*context_tokens, " ", "", " literal", ""), log_probs=(None,) + (-1.0,) * 14)
    scored = score_two_request(right, alone, context=context, response=" <|im_end|> literal<|im_end|>", max_tokens=1)
    assert value_of(scored).log_prob == -4.0


def test_two_requests_refuse_a_prefix_whose_log_probs_differ() -> None:
    # Control and byte tokens all echo as "" on llama.cpp: equal strings, other tokens.
    full = Echo(text=None, tokens=("", "", " yes"), log_probs=(None, -1.0, -2.0), text_offset=None,
                completion_tokens=0)
    alone = msgspec.structs.replace(full, tokens=("", ""), log_probs=(None, -4.0))
    result = score_two_request(full, alone, context="<|a|><|b|>", response=" yes", max_tokens=1)
    assert boundary_reason(result) == PREFIX_MISMATCH
    same = msgspec.structs.replace(alone, log_probs=(None, -1.0 + 1e-6))
    assert value_of(score_two_request(full, same, context="<|a|><|b|>", response=" yes", max_tokens=1)).log_prob == -2.0


CHAT_CONTEXT = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
#: How llama-cpp-python echoes a chat prompt: control tokens as "" with offsets that skip them.
CHAT_TOKENS = ("", "user", "\n", "Hi", "", "\n", "", "assistant", "\n", " yes", "", "!")
CHAT_LOG_PROBS = (None, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -1.0, -2.0, -3.0, -9.0)
CHAT_OFFSETS = (0, 0, 4, 5, 7, 7, 8, 8, 17, 18, 22, 22)
CHAT_ECHO = Echo(
    text=CHAT_CONTEXT + " yes<|im_end|>!",
    tokens=CHAT_TOKENS,
    log_probs=CHAT_LOG_PROBS,
    text_offset=CHAT_OFFSETS,
    completion_tokens=1,
)
#: The same without the end-of-turn token (dropped by a server, or not in the prompt).
WITHOUT_END = msgspec.structs.replace(
    CHAT_ECHO,
    tokens=(*CHAT_TOKENS[:10], "!"),
    log_probs=(*CHAT_LOG_PROBS[:10], -9.0),
    text_offset=(*CHAT_OFFSETS[:10], 22),
)


def test_control_tokens_echoed_as_empty_are_placed_when_every_one_is_accounted_for() -> None:
    scored = value_of(score_response(CHAT_ECHO, context=CHAT_CONTEXT, response=" yes<|im_end|>"))
    assert (scored.log_prob, scored.start, scored.end) == (-5.0, 9, 11)
    without = msgspec.structs.replace(WITHOUT_END, text=CHAT_CONTEXT + " yes!")
    assert value_of(score_response(without, context=CHAT_CONTEXT, response=" yes")).log_prob == -2.0


def test_control_tokens_that_cannot_all_be_accounted_for_fail_typed() -> None:
    # A control token missing from the echo: its log prob would be silently lost.
    assert boundary_reason(
        score_response(WITHOUT_END, context=CHAT_CONTEXT, response=" yes<|im_end|>")
    ) == OFFSETS_INCONSISTENT
    # No usage count and an empty generated token after the last control token: which is which?
    unsure = msgspec.structs.replace(CHAT_ECHO, completion_tokens=None, tokens=(*CHAT_TOKENS[:11], ""))
    assert boundary_reason(score_response(unsure, context=CHAT_CONTEXT, response=" yes<|im_end|>")) == (
        OFFSETS_INCONSISTENT
    )
    # A context that ends with control text: the empty token at the boundary could be either side's.
    assert boundary_reason(
        score_response(CHAT_ECHO, context=CHAT_CONTEXT + " yes<|im_end|>", response="!")
    ) == OFFSETS_INCONSISTENT


@st.composite
def _echoes(draw: st.DrawFn) -> tuple[tuple[str, ...], tuple[int, ...], str, str, str]:
    """Tokens (empty ones, several characters, non-ASCII), a context and response cut anywhere
    in their text, and offsets that are right, or wrong somewhere."""
    tokens = tuple(draw(st.lists(st.sampled_from(["", "a", "b", "ab", " c", "é", "\U0001f600", "de"]), min_size=1, max_size=8)))
    text = "".join(tokens)
    cut = draw(st.integers(min_value=0, max_value=len(text)))
    end = draw(st.integers(min_value=cut, max_value=len(text)))
    offsets = list(accumulate(map(len, tokens[:-1]), initial=0))
    if draw(st.booleans()):
        position = draw(st.integers(min_value=0, max_value=len(offsets) - 1))
        offsets[position] += draw(st.integers(min_value=-2, max_value=2))
    if draw(st.booleans()):  # bytes instead of characters, as some servers count
        offsets = list(accumulate((len(token.encode()) for token in tokens[:-1]), initial=0))
    return tokens, tuple(offsets), text, text[:cut], text[cut:end]


@given(_echoes())
def test_the_spelled_span_agrees_with_the_checked_one_and_its_tokens_spell_the_texts(
    echo: tuple[tuple[str, ...], tuple[int, ...], str, str, str],
) -> None:
    tokens, offsets, text, context, response = echo
    full = context + response
    spelled = _spelled_span(tokens, offsets, text, context, response, full)
    checked = _usual_span(tokens, offsets, text, len(context), full)
    if isinstance(checked, tuple):
        assert spelled in (None, checked)  # the same span whenever the full check finds one
    elif checked is not None:
        assert spelled is None  # a boundary error stays one
    if spelled is not None:
        start, end = spelled
        assert "".join(tokens[:start]) == context and "".join(tokens[start:end]) == response and start < end
