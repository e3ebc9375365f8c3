"""Fault markers: what a prompt carries to ask the fake server for a fault.

``<<fault:kind>>`` fires on every request carrying the prompt, ``<<fault:kind*N>>``
on the first N only. Request faults fail the whole request; prompt faults
(quirks) change only that prompt's choice.
"""

from __future__ import annotations

import re
from typing import Final

MARKER: Final = re.compile(r"<<fault:([a-z_]+)(?:\*(\d+))?>>")

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
