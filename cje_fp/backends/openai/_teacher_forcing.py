"""Teacher forcing: ``log P(response | context)`` from the echoed tokens of ``context + response``.

Pure. The server echoes the prompt's tokens with their log probs; the response
is the run of tokens from the context/response boundary to the end of the
prompt (tokens generated past it are ignored). The boundary comes from
``text_offset`` when the server gives it (and the tokens spell the text where
the offsets say), otherwise from counting the UTF-8 bytes of the tokens. Every
pathology is its own error, never a guess:

- the echo does not reproduce the prompt: ``TokenBoundaryError`` with reason
  ``crlf_normalization``, ``whitespace_normalization``, ``echo_too_short`` or
  ``echo_mismatch``;
- a token straddles the boundary (``boundary_spans_token``) or the prompt's
  end (``end_spans_token``); offsets that do not match the tokens
  (``text_offset_inconsistent``); a token that is not text
  (``undecodable_token``); no token left for the response
  (``no_response_tokens``);
- no tokens, or a null log prob after the first token: ``MalformedResponse``;
- a NaN, infinite or positive log prob: ``InvalidLogProb``.

Leading special tokens the server adds (a BOS such as ``<s>``) are skipped.
Text no token spells must be explained: one non-ASCII character after a run of
empty tokens (llama.cpp echoes the byte tokens of a split character as ``""``
at its offset; they belong to the side the character is on, and when both
sides end and start with one, the boundary is undecidable), or whitespace a
tokenizer dropped from the token after it. Two requests: ``_two_request``.

>>> from cje_fp.backends.openai._completions import Echo
>>> echo = Echo(text="2+2= 4", tokens=("2", "+", "2", "=", " 4"),
...             log_probs=(None, -1.0, -0.5, -0.25, -2.0), text_offset=(0, 1, 2, 3, 4))
>>> score_response(echo, context="2+2=", response=" 4")
<Success: ScoredResponse(log_prob=-2.0, start=4, end=5, method='text_offset')>
>>> score_response(echo, context="2+2= ", response="4").alt(lambda e: e.describe())
<Failure: token_boundary(reason='boundary_spans_token')>
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Final, Literal, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import Echo
from cje_fp.backends.openai._control_text import span_without_control_text
from cje_fp.backends.openai._log_probs import response_sum
from cje_fp.errors import LogProbError, MalformedResponse, TokenBoundaryError

ECHO_MISMATCH: Final = "echo_mismatch"
CRLF_NORMALIZATION: Final = "crlf_normalization"
WHITESPACE_NORMALIZATION: Final = "whitespace_normalization"
ECHO_TOO_SHORT: Final = "echo_too_short"
BOUNDARY_SPANS_TOKEN: Final = "boundary_spans_token"
END_SPANS_TOKEN: Final = "end_spans_token"
OFFSETS_INCONSISTENT: Final = "text_offset_inconsistent"
UNDECODABLE_TOKEN: Final = "undecodable_token"
NO_RESPONSE_TOKENS: Final = "no_response_tokens"
PREFIX_MISMATCH: Final = "prefix_mismatch"
END_NOT_FOUND: Final = "end_not_found"

Method: TypeAlias = Literal["text_offset", "utf8_bytes", "two_request"]
Span: TypeAlias = tuple[int, int]
"""Token indices ``[start, end)`` of the response."""

#: A token that looks like a special token (``<s>``, ``<|begin_of_text|>``).
_SPECIAL: Final = re.compile(r"<[^<>\s]{1,64}>")
#: At most this many leading special tokens are skipped.
_MAX_SKIPPED: Final = 2
_BYTES_TOKEN: Final = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")


@attrs.frozen(kw_only=True)
class ScoredResponse:
    """The response's log prob and where its tokens are in the echo."""

    log_prob: float
    start: int
    end: int
    method: Method

    @property
    def n_tokens(self) -> int:
        """How many tokens the response has."""
        return self.end - self.start


def boundary_error(reason: str) -> TokenBoundaryError:
    """The ``TokenBoundaryError`` for ``reason``."""
    return TokenBoundaryError(reason=reason)


# Internally, steps return a plain ``value | error`` union (cheap: no container
# per step); the public functions wrap the outcome in one ``Result``.


def token_bytes(token: str) -> bytes | None:
    """A token's UTF-8 bytes; OpenAI-style ``bytes:\\xNN`` tokens are decoded.

    >>> token_bytes("é"), token_bytes("bytes:\\\\xe2\\\\x80"), token_bytes("bytes:zz")
    (b'\\xc3\\xa9', b'\\xe2\\x80', None)
    """
    if token.startswith("bytes:"):
        escaped = token[len("bytes:") :]
        if not _BYTES_TOKEN.fullmatch(escaped):
            return None
        return bytes(int(escaped[i + 2 : i + 4], 16) for i in range(0, len(escaped), 4))
    try:
        return token.encode("utf-8")
    except UnicodeEncodeError:
        return None


def classify_echo_mismatch(expected: str, echoed: str) -> str:
    """Why ``echoed`` does not start with ``expected``: the reason an error reports.

    >>> classify_echo_mismatch("a\\r\\nb", "a\\nb"), classify_echo_mismatch("a  b ", "a b")
    ('crlf_normalization', 'whitespace_normalization')
    >>> classify_echo_mismatch("abc", "ab"), classify_echo_mismatch("abc", "xyz")
    ('echo_too_short', 'echo_mismatch')
    """
    if "\r" in expected and echoed.startswith(expected.replace("\r\n", "\n").replace("\r", "\n")):
        return CRLF_NORMALIZATION
    if expected.startswith(echoed):
        return ECHO_TOO_SHORT
    if _squash(echoed).startswith(_squash(expected)):
        return WHITESPACE_NORMALIZATION
    return ECHO_MISMATCH


def _squash(text: str) -> str:
    return " ".join(text.split())


def _skip_candidates(tokens: Sequence[str]) -> Iterator[int]:
    """How many leading tokens may be skipped as server-added special tokens."""
    yield 0
    for k in range(1, min(_MAX_SKIPPED, len(tokens)) + 1):
        if not _SPECIAL.fullmatch(tokens[k - 1]):
            return
        yield k


def _span_from_bytes(echo: Echo, context: str, full: str) -> Span | LogProbError:
    pieces = [token_bytes(token) for token in echo.tokens]
    decoded = [piece for piece in pieces if piece is not None]
    if len(decoded) != len(pieces):
        return boundary_error(UNDECODABLE_TOKEN)
    full_bytes = full.encode("utf-8", "surrogatepass")
    for k in _skip_candidates(echo.tokens):
        if b"".join(decoded[k:]).startswith(full_bytes):
            context_end = len(context.encode("utf-8", "surrogatepass"))
            return _locate_contiguous(list(map(len, decoded)), k, context_end, len(full_bytes))
    echoed = b"".join(decoded).decode("utf-8", errors="replace")
    return boundary_error(classify_echo_mismatch(full, echoed))


def _locate_contiguous(lengths: Sequence[int], k: int, context_end: int, full_end: int) -> Span | LogProbError:
    """The span when tokens ``k..`` lie end to end from position 0 (their text
    is known to start with the full prompt)."""
    return _span_in_starts(list(accumulate(lengths[k:], initial=0)), k, context_end, full_end)


def _span_in_starts(starts: Sequence[int], k: int, context_end: int, full_end: int) -> Span | LogProbError:
    """The span given ``starts[i - k]``, the start of token ``i`` (and, last, the end of all)."""
    start = bisect_left(starts, context_end)
    if start >= len(starts) or starts[start] != context_end:
        return boundary_error(BOUNDARY_SPANS_TOKEN)
    end = bisect_left(starts, full_end, lo=start)
    if end >= len(starts) or starts[end] != full_end:
        return boundary_error(END_SPANS_TOKEN)
    if start >= end:
        return boundary_error(NO_RESPONSE_TOKENS)
    return (k + start, k + end)


def _span_from_offsets(
    echo: Echo, text: str, offsets: Sequence[int], context: str, full: str
) -> Span | LogProbError:
    if not text.startswith(full):
        return boundary_error(classify_echo_mismatch(full, text))
    for k in _skip_candidates(echo.tokens):
        span = locate_offsets(echo.tokens, offsets, k, text, len(context), len(full))
        if span is not None:
            return span
    if echo.tokens[0].startswith(" ") and not full.startswith(" "):
        # A SentencePiece tokenizer that adds a space before the text: the
        # offsets count it.
        span = locate_offsets(echo.tokens, offsets, 0, " " + text, len(context) + 1, len(full) + 1)
        if span is not None:
            return span
    placed = span_without_control_text(echo, context=context, full=full, locate=locate_offsets)
    return placed if placed is not None else boundary_error(OFFSETS_INCONSISTENT)


def locate_offsets(
    tokens: Sequence[str], offsets: Sequence[int], k: int, text: str, context_end: int, full_end: int
) -> Span | LogProbError | None:
    """The span, a boundary error, or ``None`` if the offsets (rebased after ``k``
    skipped tokens) do not place each token on its own text (``text`` holds the
    prompt of ``full_end`` characters, then what was generated)."""
    if k >= len(tokens):
        return None
    base = offsets[k]
    lengths = list(map(len, tokens))
    # Fast path: tokens end to end, spelling the text from its start.
    contiguous = list(accumulate(lengths[k:-1], initial=base))
    if contiguous == list(offsets[k:]) and "".join(tokens[k:]).startswith(text[:full_end]):
        return _locate_contiguous(lengths, k, context_end, full_end)
    starts: list[int] = []
    ends: list[int] = []
    previous_end = 0
    end = len(tokens)
    run = 0  # empty tokens in a row at ``previous_end``
    for index in range(k, len(tokens)):
        offset = offsets[index] - base
        if offset >= full_end:
            end = index
            break
        token = tokens[index]
        start = _token_start(text, token, offset, previous_end, run)
        if start is None:
            return None
        starts.append(start)
        ends.append(offset + len(token))
        run = run + 1 if not token and offset == previous_end else (1 if not token else 0)
        previous_end = offset + len(token)
    problem = _end_problem(text, previous_end, full_end, offsets[end] - base if end < len(tokens) else None, run)
    return problem if problem is not None else _start_from_offsets(starts, ends, k, context_end, end)


def _token_start(text: str, token: str, offset: int, previous_end: int, run: int) -> int | None:
    """Where a token's text starts (``None`` if the offset does not place it on its text)."""
    if offset < previous_end or text[offset : offset + len(token)] != token:
        return None
    if offset == previous_end or _split_character(text, previous_end, offset, run):
        return offset
    if run or not text[previous_end:offset].isspace():
        return None
    # Whitespace no token spells (a tokenizer that drops a token's leading space):
    # it belongs to the token after it.
    return previous_end


def _end_problem(text: str, previous_end: int, full_end: int, next_start: int | None, run: int) -> LogProbError | None:
    """Why the prompt's tokens do not end exactly at its end, if they do not."""
    if previous_end > full_end:
        return boundary_error(END_SPANS_TOKEN)
    if previous_end == full_end:
        return None
    if next_start not in (None, full_end):
        return boundary_error(END_SPANS_TOKEN)
    if not _split_character(text, previous_end, full_end, run):
        return boundary_error(ECHO_TOO_SHORT if next_start is None else END_SPANS_TOKEN)
    return None


def _split_character(text: str, gap_start: int, gap_end: int, run: int) -> bool:
    """Whether text no token spells, ``text[gap_start:gap_end]``, is one character split
    into byte tokens: a run of ``run`` empty tokens at its start (llama.cpp servers echo
    a token ending inside a UTF-8 sequence as ``""`` at the offset of the character it
    starts), one non-ASCII character, at most one token per byte."""
    if gap_end - gap_start != 1 or run < 1:
        return False
    character = text[gap_start]
    return not character.isascii() and run <= len(character.encode("utf-8", "surrogatepass"))


def _start_from_offsets(
    starts: Sequence[int], ends: Sequence[int], k: int, context_end: int, end: int
) -> Span | LogProbError:
    """The response is every token from the first one starting at or after the boundary.

    Tokens before it must end by the boundary. When the context's last character
    was echoed as empty byte tokens (a gap ending at the boundary) and the
    response also starts with an empty token, the last of those byte tokens may
    hold the response's first bytes: that cannot be decided from the echo.
    """
    previous_end = 0
    for position, (start, token_end) in enumerate(zip(starts, ends, strict=True)):
        if start >= context_end:
            if start != context_end or (previous_end < context_end and token_end == start):
                return boundary_error(BOUNDARY_SPANS_TOKEN)
            return (k + position, end)
        if token_end > context_end:
            return boundary_error(BOUNDARY_SPANS_TOKEN)
        previous_end = token_end
    return boundary_error(NO_RESPONSE_TOKENS)


def _usual_span(
    tokens: Sequence[str], offsets: Sequence[int], text: str, context_end: int, full: str
) -> Span | LogProbError | None:
    """The common echo, quickly: offsets from 0, tokens end to end spelling the text.

    ``None`` when the echo is not of that kind; otherwise exactly what the
    general search (``_span_from_offsets``) would find, without its detours.
    """
    if offsets[0] != 0 or not text.startswith(full) or not "".join(tokens).startswith(full):
        return None
    starts = tuple(accumulate(map(len, tokens), initial=0))
    if starts[:-1] != (offsets if isinstance(offsets, tuple) else tuple(offsets)):
        return None
    return _span_in_starts(starts, 0, context_end, len(full))


def _spelled_span(
    tokens: Sequence[str], offsets: Sequence[int], text: str, context: str, response: str, full: str
) -> Span | None:
    """The span the offsets point at, when the tokens before it spell exactly the context and
    those in it exactly the response (``None`` otherwise: ask ``_usual_span``).

    Two searches and two joins instead of a check of every offset: when the offsets
    are those of ``_usual_span``'s echo it finds the same span; whatever the other
    offsets say, the tokens it sums are the response's own.
    """
    if offsets[0] != 0 or not text.startswith(full):
        return None
    start = bisect_left(offsets, len(context))
    end = bisect_left(offsets, len(full), lo=start)
    if not start < end <= len(tokens) or offsets[start] != len(context):
        return None
    if end < len(tokens) and offsets[end] != len(full):
        return None
    if "".join(tokens[start:end]) != response or "".join(tokens[:start]) != context:
        return None
    return (start, end)


def locate(echo: Echo, context: str, response: str) -> tuple[Span, Method] | LogProbError:
    """The response's token span and how it was found, or why it cannot be placed."""
    if not echo.tokens:
        return MalformedResponse(reason="no tokens echoed")
    full = context + response
    if echo.text is not None and echo.text_offset is not None:
        if len(echo.text_offset) == len(echo.tokens):
            spelled = _spelled_span(echo.tokens, echo.text_offset, echo.text, context, response, full)
            if spelled is not None:
                return (spelled, "text_offset")
        span = _usual_span(echo.tokens, echo.text_offset, echo.text, len(context), full)
        if span is None:
            span = _span_from_offsets(echo, echo.text, echo.text_offset, context, full)
        return span if not isinstance(span, tuple) else (span, "text_offset")
    span = _span_from_bytes(echo, context, full)
    return span if not isinstance(span, tuple) else (span, "utf8_bytes")


def score_echo(echo: Echo, context: str, response: str) -> ScoredResponse | LogProbError:
    """``score_response`` as a plain union (no container): for hot paths."""
    located = locate(echo, context, response)
    if not isinstance(located, tuple):
        return located
    (start, end), method = located
    total = response_sum(echo.log_probs, start, end)
    if not isinstance(total, float):
        return total
    return ScoredResponse(log_prob=total, start=start, end=end, method=method)


def log_prob_of(echo: Echo, context: str, response: str) -> float | LogProbError:
    """Just the response's log prob (``score_echo`` without the span): the hottest path."""
    located = locate(echo, context, response)
    if not isinstance(located, tuple):
        return located
    start, end = located[0]
    return response_sum(echo.log_probs, start, end)


def score_response(echo: Echo, *, context: str, response: str) -> Result[ScoredResponse, LogProbError]:
    """Sum the echoed log probs of ``response`` after ``context`` (one request)."""
    scored = score_echo(echo, context, response)
    return Success(scored) if isinstance(scored, ScoredResponse) else Failure(scored)
