"""The fake model: a deterministic tokenizer and per-token log probs a test can recompute.

Tokens are words with their leading spaces, single punctuation marks, runs of
newlines, and special tokens such as ``<|eot_id|>`` whole; a token's log prob
depends only on the model and the token, so ``expected_log_prob`` is exact.

>>> tokenize("Hi there,  you<|eot_id|>")
['Hi', ' there', ',', '  you', '<|eot_id|>']
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache
from typing import Final

_SPECIAL_TOKEN: Final = r"<\|[^|<>\s]{1,40}\|>"
# Special tokens whole; newlines on their own; spaces and tabs lead the word or mark after them.
_TOKEN: Final = re.compile(rf"{_SPECIAL_TOKEN}|\s+(?={_SPECIAL_TOKEN})|\n+|[^\S\n]*\w+|[^\S\n]*[^\w\s]|\s+")

#: What the server "generates" after the echo, one token per ``max_tokens``.
GENERATED_TOKEN: Final = " the"


def tokenize(text: str) -> list[str]:
    """Split ``text`` into the fake server's tokens (they always join back to ``text``)."""
    return _TOKEN.findall(text)


@lru_cache(maxsize=65536)
def token_log_prob(model: str, token: str) -> float:
    """The fake log prob of ``token`` under ``model``: in [-3.0, -0.5], exactly representable.

    >>> token_log_prob("m", " hello") == token_log_prob("m", " hello") <= -0.5
    True
    """
    digest = hashlib.blake2b(f"{model}\x00{token}".encode(), digest_size=4).digest()
    return -0.5 - (int.from_bytes(digest, "big") % 11) * 0.25


def expected_log_prob(context: str, response: str, *, model: str) -> float:
    """What a client should compute for ``response`` after ``context`` (``math.fsum``).

    Raises ``ValueError`` when the boundary falls inside a token.

    >>> expected_log_prob("2+2=", " 4", model="m") == token_log_prob("m", " 4")
    True
    """
    tokens = tokenize(context + response)
    position = 0
    for index, token in enumerate(tokens):
        if position == len(context):
            return math.fsum(token_log_prob(model, t) for t in tokens[index:])
        if position > len(context):
            break
        position += len(token)
    raise ValueError("the context/response boundary splits a token (or the response is empty)")
