"""The prompt-id rule of CJE JSONL, shared by every reader: where a row's id comes from.

A row's id is its top-level ``prompt_id`` if present, else ``metadata.prompt_id``;
either must be a non-empty string or an integer (kept as its decimal string).
A row with neither gets ``"prompt_" + sha256(prompt)[:12]``, as CJE derives it.
Ids repeat only where rows of one prompt are meant to form a cluster.

>>> prompt_id_of({"prompt_id": 7}, {}, "q")
'7'
>>> prompt_id_of({}, {"prompt_id": "p1"}, "q")
'p1'
>>> prompt_id_of({}, {}, "hello") == hashed_prompt_id("hello")
True
>>> prompt_id_of({"prompt_id": True}, {}, "q")
BadPromptId(field='prompt_id', reason='Expected `int | str`, got `bool`')
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Final, final

import attrs
import msgspec

_ID: Final = msgspec.json.Decoder(str | int)

#: Where an explicit id may sit, in order of precedence.
ID_FIELD: Final = "prompt_id"


def hashed_prompt_id(prompt: str) -> str:
    """The id of a row without one: ``"prompt_" + sha256(prompt)[:12]`` (as CJE derives it).

    >>> hashed_prompt_id("hello")
    'prompt_2cf24dba5fb0'
    """
    return "prompt_" + hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@final
@attrs.frozen
class BadPromptId:
    """An id that breaks the rule: which field held it and why it is refused."""

    field: str
    reason: str


def _decoded(value: object) -> str | int:
    if isinstance(value, msgspec.Raw):
        decoded: str | int = _ID.decode(value)
        return decoded
    return msgspec.convert(value, str | int)


def prompt_id_of(fields: Mapping[str, object], metadata: Mapping[str, object], prompt: str) -> str | BadPromptId:
    """The id of a row given its fields (raw JSON or Python values), or why it has none."""
    source, name = (fields, ID_FIELD) if ID_FIELD in fields else (metadata, f"metadata.{ID_FIELD}")
    if ID_FIELD not in source:
        return hashed_prompt_id(prompt)
    try:
        value = str(_decoded(source[ID_FIELD]))
    except msgspec.ValidationError as error:
        return BadPromptId(field=name, reason=str(error))
    return value if value else EMPTY_ID


#: The problem of an empty id (the rule asks for a non-empty one).
EMPTY_ID: Final = BadPromptId(field=ID_FIELD, reason="prompt_id is empty")


def repeated_id_reason(prompt_id: str, first_line: int) -> str:
    """How a repeated id is reported (on the later line)."""
    return f"{prompt_id!r} already on line {first_line}"
