"""What every JSONL loader checks about a line's text beyond msgspec: BOM, UTF-8, depth, surrogates, repeated keys.

- A UTF-8 byte order mark at the start of a line (a file saved by some Windows
  editors starts with one) is accepted and ignored, by every loader alike.
- Invalid UTF-8 is invalid JSON: ``utf8_problem`` says where (the field, when
  the line still parses) so that a loader reports it instead of raising.
- A value nested deeper than Python's recursion limit is a ``bad_json`` line
  (``TOO_DEEP``), not a ``RecursionError``.
- A lone UTF-16 surrogate escape (``"\\ud800"``) parses with ``json`` but is
  not text: it cannot be encoded as UTF-8 to be sent to a server or written
  back. ``surrogate_field`` finds the field that holds one.
- A key repeated within one object silently keeps the last value in every JSON
  parser: ``duplicate_key`` finds it (the slow, exact check; the loaders call it
  only on lines a cheap count flags, see ``cje_fp.io._key_counts``).

>>> without_bom(BOM + b'{"a": 1}')
b'{"a": 1}'
>>> utf8_problem(b'{"prompt": "q", "response": "caf\\xe9"}')
('response', 'invalid UTF-8 (byte 0xe9 at column 33): invalid JSON; save the file as UTF-8 text')
>>> duplicate_key(b'{"prompt": "q", "metadata": {"id": 1, "id": 2}}')
('metadata.id', 'the key "id" appears twice in one object (JSON parsers keep only the last value); keep one')
>>> surrogate_field({"prompt": "q", "response": "a\\ud800"})
'response'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Final

import attrs
import msgspec

BOM: Final = b"\xef\xbb\xbf"

TOO_DEEP: Final = (
    "nested too deeply (more than about 1,000 levels of arrays or objects); no CJE field needs that, "
    "so the line is probably damaged"
)

SURROGATE: Final = (
    "holds a lone UTF-16 surrogate escape (such as \\ud800), which is not text and cannot be encoded as UTF-8 "
    "to be scored or written back; fix the text where it was produced (a surrogate must come as a pair)"
)

_OBJECT: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])


def without_bom(line: bytes) -> bytes:
    """The line without a leading UTF-8 byte order mark (accepted everywhere, and ignored)."""
    return line[3:] if line.startswith(BOM) else line


def utf8_problem(line: bytes) -> tuple[str, str] | None:
    """(field, reason) if the line is not valid UTF-8 (the field is ``<line>`` when not known); else None."""
    if line.isascii():
        return None
    try:
        line.decode()
    except UnicodeDecodeError as error:
        column = error.start + 1
        reason = f"invalid UTF-8 (byte 0x{line[error.start]:02x} at column {column}): invalid JSON; save the file as UTF-8 text"
        return _field_at(line, error.start), reason
    return None


def _field_at(line: bytes, position: int) -> str:
    """The top-level field whose value holds byte ``position`` (``<line>`` if the line cannot tell)."""
    try:
        fields = _OBJECT.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError):
        return "<line>"
    for name, value in fields.items():
        try:
            bytes(value).decode()
        except UnicodeDecodeError:
            return name
    return "<line>"


@attrs.frozen
class _Repeated:
    """Stands, in the parsed tree, for an object that repeats ``key``."""

    key: str


def _checked_pairs(pairs: list[tuple[str, object]]) -> object:
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Repeated(key)
        seen.add(key)
    return value  # not reached: a shorter dict has a repeated key


def _first_repeated(value: object, path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    """Depth first, the path to the first object that repeats a key, and the key."""
    if isinstance(value, _Repeated):
        return path, value.key
    children = value.items() if isinstance(value, dict) else (
        ((path[-1] if path else "<line>", child) for child in value) if isinstance(value, list) else ()
    )
    for name, child in children:
        found = _first_repeated(child, path if isinstance(value, list) else (*path, name))
        if found is not None:
            return found
    return None


def duplicate_key(line: bytes) -> tuple[str, str] | None:
    """(field path, reason) for the first key repeated within one object of the line; None if none is.

    The path is dotted from the top (``metadata.prompt_id``); a repeated key
    inside an array is named by the array's field. A line that does not parse
    gives None (its own problem is reported elsewhere).
    """
    try:
        value = json.loads(line, object_pairs_hook=_checked_pairs)
    except (ValueError, RecursionError):
        return None
    found = _first_repeated(value, ())
    if found is None:
        return None
    path, key = found
    reason = f'the key "{key}" appears twice in one object (JSON parsers keep only the last value); keep one'
    return ".".join([*path, key]), reason


def surrogate_field(value: object) -> str | None:
    """The top-level field of a parsed line that holds a lone surrogate (in a key or a string); else None."""
    if not isinstance(value, Mapping):
        return "<line>" if _has_surrogate(value) else None
    for name, child in value.items():
        if _has_surrogate(name) or _has_surrogate(child):
            return str(name)
    return None


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, Mapping):
        return any(_has_surrogate(key) or _has_surrogate(child) for key, child in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(child) for child in value)
    return False
