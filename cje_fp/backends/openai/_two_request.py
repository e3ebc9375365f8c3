"""Two requests: the response's log probs after the context's own tokens.

When one echo cannot place the boundary (control tokens echoed as ``""``, a
SentencePiece space on the first token), ``score_two_request`` scores
``context + response`` and ``context`` alone, and sums the full echo's log
probs after the context's tokens, only if the context alone has the same
tokens with the same log probs. How many echoed tokens are the prompt's comes
from the server's own count of generated tokens (``usage``), never from
``max_tokens`` (llama.cpp generates more than asked while a UTF-8 sequence is
open, and treats 0 as unlimited).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, cast

from returns.result import Failure, Result, Success

from cje_fp.backends.openai._completions import Echo
from cje_fp.backends.openai._log_probs import log_prob_problem, span_sum
from cje_fp.backends.openai._teacher_forcing import (
    ECHO_MISMATCH,
    END_NOT_FOUND,
    NO_RESPONSE_TOKENS,
    PREFIX_MISMATCH,
    ScoredResponse,
    boundary_error,
    classify_echo_mismatch,
    locate,
)
from cje_fp.errors import LogProbError, MalformedResponse


def _prompt_token_count(echo: Echo, prompt: str, max_tokens: int) -> int | LogProbError:
    """How many echoed tokens belong to ``prompt``: from the server's own count of
    generated tokens when it gave one, else where offsets or bytes place the
    prompt's end, else (``max_tokens`` 0) all of them if nothing was generated.
    Never from ``max_tokens`` alone: servers generate more than asked (llama.cpp
    finishes a UTF-8 sequence; some treat 0 as unlimited)."""
    if not echo.tokens:
        return MalformedResponse(reason="no tokens echoed")
    if echo.completion_tokens is not None:
        return _counted(echo, prompt, echo.completion_tokens)
    located = locate(echo, "", prompt)
    if isinstance(located, tuple):
        return located[0][1]
    if max_tokens == 0 and echo.text == prompt:
        return len(echo.tokens)
    return boundary_error(END_NOT_FOUND)


def _counted(echo: Echo, prompt: str, generated: int) -> int | LogProbError:
    """The prompt's tokens when the server says it generated ``generated`` tokens,
    checked against what else the answer says."""
    count = len(echo.tokens) - generated
    if count < 1:
        return boundary_error(END_NOT_FOUND)
    if echo.prompt_tokens is not None and not 0 <= echo.prompt_tokens - count <= 1:
        return boundary_error(END_NOT_FOUND)  # at most a BOS is counted but not echoed
    if echo.text is not None:
        if not echo.text.startswith(prompt):
            return boundary_error(classify_echo_mismatch(prompt, echo.text))
        spelled = "".join(echo.tokens[count:])
        generated_text = echo.text[len(prompt) :]
        # Byte tokens of a generated character echo as "": then only a shorter spelling.
        if spelled != generated_text and not ("" in echo.tokens[count:] and len(spelled) < len(generated_text)):
            return boundary_error(END_NOT_FOUND)
    return count


def prompt_token_count(echo: Echo, prompt: str, max_tokens: int) -> Result[int, LogProbError]:
    """How many echoed tokens belong to ``prompt`` (the rest were generated)."""
    count = _prompt_token_count(echo, prompt, max_tokens)
    return Success(count) if isinstance(count, int) else Failure(count)


#: The two requests' log probs of their shared prefix may differ by this much (nats).
PREFIX_TOLERANCE: Final = 1e-3


def score_two_request(
    full_echo: Echo, context_echo: Echo, *, context: str, response: str, max_tokens: int
) -> Result[ScoredResponse, LogProbError]:
    """The full text's log probs after the context's tokens, only if the context
    alone has the same tokens with the same log probs (within ``PREFIX_TOLERANCE``):
    ``lp(context + response) - lp(context)`` without the cancellation.

    >>> full = Echo(text=None, tokens=("Q", ":", " yes"), log_probs=(None, -1.0, -2.0), text_offset=None)
    >>> alone = Echo(text=None, tokens=("Q", ":"), log_probs=(None, -1.0), text_offset=None)
    >>> score_two_request(full, alone, context="Q:", response=" yes", max_tokens=0)
    <Success: ScoredResponse(log_prob=-2.0, start=2, end=3, method='two_request')>
    """
    outcome = _two_request(full_echo, context_echo, context, response, max_tokens)
    return Success(outcome) if isinstance(outcome, ScoredResponse) else Failure(outcome)


def _same_prefix(full: Echo, alone: Echo, n_context: int) -> bool:
    if full.tokens[:n_context] != alone.tokens[:n_context]:
        return False
    if None not in (full.prompt_tokens, alone.prompt_tokens, full.completion_tokens, alone.completion_tokens):
        # Both requests must skip the same number of counted tokens (a BOS).
        n_full = len(full.tokens) - cast(int, full.completion_tokens)
        if cast(int, full.prompt_tokens) - n_full != cast(int, alone.prompt_tokens) - n_context:
            return False
    # Empty tokens (control or byte tokens) all look alike: their log probs tell them apart.
    for a, b in zip(full.log_probs[1:n_context], alone.log_probs[1:n_context], strict=True):
        if a is None or b is None or not abs(a - b) <= PREFIX_TOLERANCE:
            return False
    return True


def may_spell(tokens: Sequence[str], text: str, *, added_spaces: bool = False) -> bool:
    """Whether ``tokens`` can spell ``text``, each empty token standing for any text
    (llama.cpp servers echo control tokens and partial UTF-8 byte tokens as ``""``),
    and with ``added_spaces`` each run of text maybe after a space the tokenizer added.

    >>> may_spell([" ", "", " yes"], " <|im_end|> yes"), may_spell([" ", "", " ", " yes"], " <|x|> yes")
    (True, False)
    """
    literals = _literals(tokens)
    if added_spaces:
        # A SentencePiece tokenizer may put a space before each run of text.
        literals = [literal[1:] if literal.startswith(" ") else literal for literal in literals]
    if len(literals) == 1:
        return literals[0] == text
    first, *middle, last = literals
    if not (text.startswith(first) and text.endswith(last) and len(first) + len(last) <= len(text)):
        return False
    position, stop = len(first), len(text) - len(last)
    for literal in middle:
        found = text.find(literal, position, stop)
        if found < 0:
            return False
        position = found + len(literal)
    return True


def _tokens_are_text(tokens: Sequence[str], text: str) -> bool:
    """Whether these tokens are text (they may spell ``text``, maybe after a space the
    tokenizer adds), not raw vocabulary entries such as ``Ġword``."""
    return may_spell(tokens, text, added_spaces=True)


def _literals(tokens: Sequence[str]) -> list[str]:
    """The text of the tokens between runs of empty tokens: one more than there are runs."""
    literals: list[str] = []
    current = ""
    in_run = False
    for token in tokens:
        if token:
            current += token
            in_run = False
        elif not in_run:
            literals.append(current)
            current = ""
            in_run = True
    literals.append(current)
    return literals


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
        return boundary_error(PREFIX_MISMATCH)
    if n_full <= n_context:
        return boundary_error(NO_RESPONSE_TOKENS)
    problem = log_prob_problem(full_echo.log_probs, n_full) or log_prob_problem(
        context_echo.log_probs, n_context
    )
    if problem is not None:
        return problem
    if not _same_prefix(full_echo, context_echo, n_context):
        return boundary_error(PREFIX_MISMATCH)
    if _tokens_are_text(full_echo.tokens[:n_context], context) and not may_spell(
        full_echo.tokens[n_context:n_full], response
    ):
        # A tokenizer that adds text (a space after a special token, say).
        return boundary_error(ECHO_MISMATCH)
    value = span_sum(full_echo.log_probs, n_context, n_full)
    if not isinstance(value, float):
        return value
    return ScoredResponse(log_prob=value, start=n_context, end=n_full, method="two_request")
