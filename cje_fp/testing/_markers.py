"""Fault markers: what a prompt carries to ask the fake server for a fault; or faults drawn by content.

``<<fault:kind>>`` fires on every request carrying the prompt, ``<<fault:kind*N>>``
on the first N only. Request faults fail the whole request; prompt faults
(quirks) change only that prompt's choice.

Content faults need no marker: ``content_fault`` picks at most one fault per
prompt from a hash of the prompt's text (and a seed), at the given rates, so the
same prompt always draws the same fault, whatever order prompts arrive in and
whichever process sends them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final

MARKER: Final = re.compile(r"<<fault:([a-z_]+)(?:\*(\d+))?>>")
_SPEC: Final = re.compile(r"([a-z_]+)(?:\*(\d+))?")

REQUEST_FAULTS: Final = frozenset(
    {
        "rate_limit",
        "server_error",
        "unavailable",
        "hang",
        "drop",
        "malformed_json",
        "truncated_body",
        "missing_choices",
        "context_length",
        "bad_request",
        "unprocessable",
    }
)
PROMPT_FAULTS: Final = frozenset(
    {
        "missing_logprobs",
        "nan",
        "positive",
        "null_logprob",
        "short_logprobs",
        "echo_crlf",
        "echo_whitespace",
        "echo_mismatch",
        "bpe_tokens",
        "bytes_tokens",
        "no_offsets",
        "bos",
    }
)
CONTEXT_LENGTH_MESSAGE: Final = (
    "This model's maximum context length is {limit} tokens. However, you requested "
    "{tokens} tokens in the messages. Please reduce the length of the messages."
)


def fault_marker(kind: str, times: int | None = None) -> str:
    """The marker that asks the server for fault ``kind`` (first ``times`` requests only).

    >>> fault_marker("rate_limit", times=2)
    '<<fault:rate_limit*2>>'
    """
    if kind not in REQUEST_FAULTS | PROMPT_FAULTS:
        raise ValueError(f"unknown fault {kind!r}")
    return f"<<fault:{kind}>>" if times is None else f"<<fault:{kind}*{times}>>"


def fault_spec(spec: str) -> tuple[str, str]:
    """``kind`` or ``kind*N`` as the (kind, times) pair a marker gives (times ``""``: every request).

    >>> fault_spec("rate_limit*1"), fault_spec("nan")
    (('rate_limit', '1'), ('nan', ''))
    """
    found = _SPEC.fullmatch(spec)
    if found is None or found.group(1) not in REQUEST_FAULTS | PROMPT_FAULTS:
        raise ValueError(f"unknown fault {spec!r}: a fault kind, optionally followed by *N")
    return found.group(1), found.group(2) or ""


def content_fault(prompt: str, rates: Sequence[tuple[str, float]], seed: int = 0) -> tuple[str, str] | None:
    """The fault ``prompt`` draws (a (kind, times) pair), or None: chosen by its text alone.

    ``rates`` pairs a fault (``kind`` or ``kind*N``) with the share of prompts that draw it.

    >>> rates = [("nan", 0.5), ("server_error*1", 0.5)]
    >>> content_fault("What is 2+2?", rates) == content_fault("What is 2+2?", rates) is not None
    True
    >>> content_fault("What is 2+2?", [("nan", 0.0)]) is None
    True
    """
    digest = hashlib.blake2b(f"{seed}\x00{prompt}".encode(), digest_size=8).digest()
    draw = int.from_bytes(digest, "big") / 2.0**64
    total = 0.0
    for spec, rate in rates:
        total += rate
        if draw < total:
            return fault_spec(spec)
    return None
