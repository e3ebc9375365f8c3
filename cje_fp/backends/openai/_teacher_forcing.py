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

>>> from cje_fp.backends.openai._completions import Echo
>>> echo = Echo(text="2+2= 4", tokens=("2", "+", "2", "=", " 4"),
...             log_probs=(None, -1.0, -0.5, -0.25, -2.0), text_offset=(0, 1, 2, 3, 4))
>>> score_response(echo, context="2+2=", response=" 4")
<Success: ScoredResponse(log_prob=-2.0, start=4, end=5, method='text_offset')>
>>> score_response(echo, context="2+2= ", response="4").alt(lambda e: e.describe())
<Failure: token_boundary(reason='boundary_spans_token')>
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from itertools import accumulate
from typing import Final, Literal, TypeAlias, cast

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import Echo
from cje_fp.errors import (
    InvalidLogProb,
    LogProbError,
    MalformedResponse,
    TokenBoundaryError,
)

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


def _boundary(reason: str) -> TokenBoundaryError:
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
        return _boundary(UNDECODABLE_TOKEN)
    full_bytes = full.encode("utf-8", "surrogatepass")
    for k in _skip_candidates(echo.tokens):
        if b"".join(decoded[k:]).startswith(full_bytes):
            context_end = len(context.encode("utf-8", "surrogatepass"))
            return _locate_contiguous(list(map(len, decoded)), k, context_end, len(full_bytes))
    echoed = b"".join(decoded).decode("utf-8", errors="replace")
    return _boundary(classify_echo_mismatch(full, echoed))


def _locate_contiguous(lengths: Sequence[int], k: int, context_end: int, full_end: int) -> Span | LogProbError:
    """The span when tokens ``k..`` lie end to end from position 0 (their text
    is known to start with the full prompt)."""
    return _span_in_starts(list(accumulate(lengths[k:], initial=0)), k, context_end, full_end)


def _span_in_starts(starts: Sequence[int], k: int, context_end: int, full_end: int) -> Span | LogProbError:
    """The span given ``starts[i - k]``, the start of token ``i`` (and, last, the end of all)."""
    start = bisect_left(starts, context_end)
    if start >= len(starts) or starts[start] != context_end:
        return _boundary(BOUNDARY_SPANS_TOKEN)
    end = bisect_left(starts, full_end, lo=start)
    if end >= len(starts) or starts[end] != full_end:
        return _boundary(END_SPANS_TOKEN)
    if start >= end:
        return _boundary(NO_RESPONSE_TOKENS)
    return (k + start, k + end)


def _span_from_offsets(
    echo: Echo, text: str, offsets: Sequence[int], context: str, full: str
) -> Span | LogProbError:
    if not text.startswith(full):
        return _boundary(classify_echo_mismatch(full, text))
    for k in _skip_candidates(echo.tokens):
        span = _locate_offsets(echo.tokens, offsets, k, text, len(context), len(full))
        if span is not None:
            return span
    return _boundary(OFFSETS_INCONSISTENT)


def _locate_offsets(
    tokens: Sequence[str], offsets: Sequence[int], k: int, text: str, context_end: int, full_end: int
) -> Span | LogProbError | None:
    """The span, a boundary error, or ``None`` if the offsets (rebased after ``k``
    skipped tokens) do not place each token on its own text."""
    if k >= len(tokens):
        return None
    base = offsets[k]
    lengths = list(map(len, tokens))
    # Fast path: tokens end to end, spelling the text from its start.
    contiguous = list(accumulate(lengths[k:-1], initial=base))
    if contiguous == list(offsets[k:]) and "".join(tokens[k:]).startswith(text[:full_end]):
        return _locate_contiguous(lengths, k, context_end, full_end)
    starts: list[int] = []
    previous_end = 0
    end = len(tokens)
    for index in range(k, len(tokens)):
        offset = offsets[index] - base
        if offset >= full_end:
            end = index
            break
        token = tokens[index]
        if offset < previous_end or text[offset : offset + len(token)] != token:
            return None
        starts.append(offset)
        previous_end = offset + len(token)
    if previous_end > full_end:
        return _boundary(END_SPANS_TOKEN)
    next_start = offsets[end] - base if end < len(tokens) else None
    if previous_end != full_end and next_start != full_end:
        return _boundary(ECHO_TOO_SHORT if next_start is None else END_SPANS_TOKEN)
    return _start_from_offsets(lengths, starts, k, context_end, end)


def _start_from_offsets(
    lengths: Sequence[int], starts: Sequence[int], k: int, context_end: int, end: int
) -> Span | LogProbError:
    previous_end = 0
    for position, offset in enumerate(starts):
        token_end = offset + lengths[k + position]
        if token_end > context_end:
            # The first token reaching past the context: it must start at the
            # boundary, or just after a gap that begins exactly there.
            if offset < context_end or (offset != context_end and previous_end != context_end):
                return _boundary(BOUNDARY_SPANS_TOKEN)
            if k + position >= end:
                return _boundary(NO_RESPONSE_TOKENS)
            return (k + position, end)
        previous_end = token_end
    return _boundary(NO_RESPONSE_TOKENS)


def _log_prob_problem(log_probs: Sequence[float | None], end: int) -> LogProbError | None:
    """The first reason the log probs before ``end`` are unusable, if any."""
    values = [value for value in log_probs[1:end] if value is not None]
    if len(values) == max(0, min(end, len(log_probs)) - 1):
        try:
            total = math.fsum(values)
        except (OverflowError, ValueError):  # inf - inf
            total = math.nan
        if math.isfinite(total) and (not values or max(values) <= 0.0):
            return _invalid_first(log_probs[:1])
    for index in range(min(end, len(log_probs))):
        value = log_probs[index]
        if value is None:
            if index > 0:
                return MalformedResponse(reason=f"null log prob at token {index}")
        elif not (math.isfinite(value) and value <= 0.0):
            return InvalidLogProb(value=value)
    return None


def _invalid_first(first: Sequence[float | None]) -> LogProbError | None:
    if not first or first[0] is None or (math.isfinite(first[0]) and first[0] <= 0.0):
        return None
    return InvalidLogProb(value=first[0])


def check_log_probs(log_probs: Sequence[float | None], end: int) -> Result[None, LogProbError]:
    """Every log prob before ``end`` is a number <= 0 (only the first may be null).

    >>> check_log_probs([None, -1.0, 0.5], 3)
    <Failure: InvalidLogProb(value=0.5)>
    >>> check_log_probs([None, None, -1.0], 3)
    <Failure: MalformedResponse(reason='null log prob at token 1', http=None)>
    """
    problem = _log_prob_problem(log_probs, end)
    return Success(None) if problem is None else Failure(problem)


def _span_sum(log_probs: Sequence[float | None], start: int, end: int) -> float | LogProbError:
    """The sum of the (already checked) log probs in ``[start, end)``."""
    values = [value for value in log_probs[start:end] if value is not None]
    if len(values) != end - start:
        return MalformedResponse(reason=f"null log prob at response token {start}")
    return math.fsum(values)


def _usual_span(
    tokens: Sequence[str], offsets: Sequence[int], text: str, context_end: int, full: str
) -> Span | LogProbError | None:
    """The common echo, quickly: offsets from 0, tokens end to end spelling the text.

    ``None`` when the echo is not of that kind; otherwise exactly what the
    general search (``_span_from_offsets``) would find, without its detours.
    """
    if offsets[0] != 0 or not text.startswith(full) or not "".join(tokens).startswith(full):
        return None
    starts = list(accumulate(map(len, tokens), initial=0))
    if starts[:-1] != list(offsets):
        return None
    return _span_in_starts(starts, 0, context_end, len(full))


def _locate(echo: Echo, context: str, response: str) -> tuple[Span, Method] | LogProbError:
    if not echo.tokens:
        return MalformedResponse(reason="no tokens echoed")
    full = context + response
    if echo.text is not None and echo.text_offset is not None:
        span = _usual_span(echo.tokens, echo.text_offset, echo.text, len(context), full)
        if span is None:
            span = _span_from_offsets(echo, echo.text, echo.text_offset, context, full)
        return span if not isinstance(span, tuple) else (span, "text_offset")
    span = _span_from_bytes(echo, context, full)
    return span if not isinstance(span, tuple) else (span, "utf8_bytes")


def _response_sum(log_probs: Sequence[float | None], start: int, end: int) -> float | LogProbError:
    """The sum of the log probs in ``[start, end)`` once every one before ``end`` is valid."""
    head = log_probs[1:end]
    if start >= 1 and None not in head:
        # The usual case in a few C calls: no null after the first token, all
        # finite and <= 0, the first null or valid.
        numbers = cast("Sequence[float]", head)
        try:
            head_total = math.fsum(numbers)
        except (OverflowError, ValueError):  # inf - inf
            head_total = math.nan
        first = log_probs[0]
        if (
            math.isfinite(head_total)
            and (not numbers or max(numbers) <= 0.0)
            and (first is None or (math.isfinite(first) and first <= 0.0))
        ):
            return math.fsum(numbers[start - 1 :])
    problem = _log_prob_problem(log_probs, end)
    if problem is not None:
        return problem
    return _span_sum(log_probs, start, end)


def score_echo(echo: Echo, context: str, response: str) -> ScoredResponse | LogProbError:
    """``score_response`` as a plain union (no container): for hot paths."""
    located = _locate(echo, context, response)
    if not isinstance(located, tuple):
        return located
    (start, end), method = located
    total = _response_sum(echo.log_probs, start, end)
    if not isinstance(total, float):
        return total
    return ScoredResponse(log_prob=total, start=start, end=end, method=method)


def log_prob_of(echo: Echo, context: str, response: str) -> float | LogProbError:
    """Just the response's log prob (``score_echo`` without the span): the hottest path."""
    located = _locate(echo, context, response)
    if not isinstance(located, tuple):
        return located
    start, end = located[0]
    return _response_sum(echo.log_probs, start, end)


def score_response(echo: Echo, *, context: str, response: str) -> Result[ScoredResponse, LogProbError]:
    """Sum the echoed log probs of ``response`` after ``context`` (one request)."""
    scored = score_echo(echo, context, response)
    return Success(scored) if isinstance(scored, ScoredResponse) else Failure(scored)


def _prompt_token_count(echo: Echo, prompt: str, max_tokens: int) -> int | LogProbError:
    if not echo.tokens:
        return MalformedResponse(reason="no tokens echoed")
    if max_tokens == 0:
        return len(echo.tokens)
    located = _locate(echo, "", prompt)
    if isinstance(located, tuple):
        return located[0][1]
    if echo.finish_reason == "length" and len(echo.tokens) > max_tokens:
        return len(echo.tokens) - max_tokens
    return _boundary(END_NOT_FOUND)


def prompt_token_count(echo: Echo, prompt: str, max_tokens: int) -> Result[int, LogProbError]:
    """How many echoed tokens belong to ``prompt`` (the rest were generated)."""
    count = _prompt_token_count(echo, prompt, max_tokens)
    return Success(count) if isinstance(count, int) else Failure(count)


def score_two_request(
    full_echo: Echo, context_echo: Echo, *, context: str, response: str, max_tokens: int
) -> Result[ScoredResponse, LogProbError]:
    """``lp(context + response) - lp(context)``, only if the context's tokens are a
    prefix of the full text's tokens.

    >>> full = Echo(text=None, tokens=("Q", ":", " yes"), log_probs=(None, -1.0, -2.0), text_offset=None)
    >>> alone = Echo(text=None, tokens=("Q", ":"), log_probs=(None, -1.0), text_offset=None)
    >>> score_two_request(full, alone, context="Q:", response=" yes", max_tokens=0)
    <Success: ScoredResponse(log_prob=-2.0, start=2, end=3, method='two_request')>
    """
    outcome = _two_request(full_echo, context_echo, context, response, max_tokens)
    return Success(outcome) if isinstance(outcome, ScoredResponse) else Failure(outcome)


def _two_request(
    full_echo: Echo, context_echo: Echo, context: str, response: str, max_tokens: int
) -> ScoredResponse | LogProbError:
    n_full = _prompt_token_count(full_echo, context + response, max_tokens)
    if not isinstance(n_full, int):
        return n_full
    n_context = _prompt_token_count(context_echo, context, max_tokens)
    if not isinstance(n_context, int):
        return n_context
    if full_echo.tokens[:n_context] != context_echo.tokens[:n_context]:
        return _boundary(PREFIX_MISMATCH)
    if n_full <= n_context:
        return _boundary(NO_RESPONSE_TOKENS)
    problem = _log_prob_problem(full_echo.log_probs, n_full) or _log_prob_problem(
        context_echo.log_probs, n_context
    )
    if problem is not None:
        return problem
    total = _span_sum(full_echo.log_probs, 1, n_full)
    prefix = _span_sum(context_echo.log_probs, 1, n_context)
    if not isinstance(total, float):
        return total
    if not isinstance(prefix, float):
        return prefix
    value = total - prefix
    if value > 0.0:
        return InvalidLogProb(value=value)
    return ScoredResponse(log_prob=value, start=n_context, end=n_full, method="two_request")
