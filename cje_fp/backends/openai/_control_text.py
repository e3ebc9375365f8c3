r"""Echoes whose control tokens spell nothing: place the response all the same.

llama.cpp's server (llama-cpp-python) echoes a control token such as
``<|im_start|>`` or ``<|eot_id|>`` as ``""`` and counts no text for it in
``text_offset``, while ``text`` holds the prompt as sent. The offsets then fit
the prompt with its control text taken out. This module places the response in
that text, and only when every control text is accounted for: exactly one
empty token where each one was, none missing (a dropped token would silently
lose its log prob), the context not ending with one (whose side would it be
on?), and the prompt's end known where a control token ends it.

>>> from cje_fp.backends.openai._completions import Echo
>>> from cje_fp.backends.openai._teacher_forcing import locate_offsets
>>> echo = Echo(text="<|a|>Hi<|b|>\n yes<|c|>!", tokens=("", "Hi", "", "\n", " yes", "", "!"),
...             log_probs=(None, -1.0, -2.0, -3.0, -4.0, -5.0, -6.0), text_offset=(0, 0, 2, 2, 3, 7, 7),
...             completion_tokens=1)
>>> span_without_control_text(echo, context="<|a|>Hi<|b|>\n", full="<|a|>Hi<|b|>\n yes<|c|>",
...                           locate=locate_offsets)
(4, 6)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Final, TypeAlias

from cje_fp.backends.openai._completions import Echo

#: Text a server may hold as one control token (``<|im_end|>``, ``<|eot_id|>``).
CONTROL_TEXT: Final = re.compile(r"<\|[^<>|\s]{1,64}\|>")

Span: TypeAlias = tuple[int, int]
#: ``locate_offsets(tokens, offsets, skipped, text, context_end, full_end)``: the span
#: if the offsets place every token on ``text``, an error, or ``None`` if they do not.
LocateOffsets: TypeAlias = Callable[[Sequence[str], Sequence[int], int, str, int, int], object]


def _stripped(text: str, matches: Sequence[re.Match[str]]) -> tuple[str, Counter[int]]:
    """``text`` without its control texts, and how many stood at each position of the result."""
    pieces: list[str] = []
    at: Counter[int] = Counter()
    position = removed = 0
    for match in matches:
        pieces.append(text[position : match.start()])
        at[match.start() - removed] += 1
        removed += match.end() - match.start()
        position = match.end()
    pieces.append(text[position:])
    return "".join(pieces), at


def span_without_control_text(echo: Echo, *, context: str, full: str, locate: LocateOffsets) -> Span | None:
    """The response's token span when the offsets fit ``full`` without its control
    text (see the module docstring); ``None`` when they do not, or it is unsure."""
    text, offsets = echo.text, echo.text_offset
    if text is None or offsets is None or not offsets or offsets[0] != 0 or not text.startswith(full):
        return None
    matches = list(CONTROL_TEXT.finditer(full))
    if not matches or any(match.start() < len(context) <= match.end() for match in matches):
        return None  # no control text, or one that ends the context or straddles it
    stripped, control_at = _stripped(full, matches)
    stripped_context = _stripped(context, [m for m in matches if m.end() <= len(context)])[0]
    found = locate(echo.tokens, offsets, 0, stripped + text[len(full) :], len(stripped_context), len(stripped))
    if not (isinstance(found, tuple) and len(found) == 2 and all(isinstance(i, int) for i in found)):
        return None
    start, end = int(found[0]), int(found[1])
    end_or_none = _prompt_end(echo, offsets, end, control_at[len(stripped)], len(stripped))
    if end_or_none is None or not _controls_accounted(echo.tokens, offsets, end_or_none, control_at, len(stripped)):
        return None
    return (start, end_or_none)


def _prompt_end(echo: Echo, offsets: Sequence[int], end: int, trailing: int, full_end: int) -> int | None:
    """The end of the prompt's tokens once the control tokens that end it are counted."""
    tokens = echo.tokens
    extended = end + trailing
    if extended > len(tokens) or any(tokens[i] or offsets[i] != full_end for i in range(end, extended)):
        return None
    if echo.completion_tokens is not None:
        return extended if extended == len(tokens) - echo.completion_tokens else None
    if trailing and extended < len(tokens) and not tokens[extended]:
        return None  # a generated empty token could be mistaken for the last control token
    return extended


def _controls_accounted(
    tokens: Sequence[str], offsets: Sequence[int], end: int, control_at: Counter[int], full_end: int
) -> bool:
    """One empty token where each control text was, and no character dropped after them."""
    empties: Counter[int] = Counter(offsets[i] for i in range(end) if not tokens[i])
    for position, count in control_at.items():
        if empties[position] != count:
            return False
        following = [offsets[i] for i in range(end) if tokens[i] and offsets[i] >= position]
        if (min(following) if following else full_end) != position:
            return False
    return True
