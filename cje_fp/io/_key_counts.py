"""A cheap test that a decoded line repeats no key: count its colons, as msgspec cannot tell.

msgspec (like every JSON parser) keeps the last value of a repeated key. The
exact check (``cje_fp.io._json_text.duplicate_key``) parses the line again with
``json``, about as slow as the whole fast path, so it runs only on the lines
this test flags. Outside strings, a colon in JSON text is always the separator
of one key, so a line that repeats no key has exactly

    colons = distinct keys + colons inside its strings

The decoded record gives the distinct keys (its fields that are set, the
metadata's, one per target policy) and the strings (the prompt and response
as raw JSON, the prompt ids, the target names, scalar extras). A line is
flagged when the two sides differ, when an extra is an object or an array (its
keys are not counted), or when a decoded string with a colon sits on a line that
spells a colon as ``\\u003a`` (decoded and raw counts could then differ). A
flagged line without a repeated key costs only the exact check.

>>> from cje_fp.io._schema import Schema
>>> schema = Schema.build("judge_score", "oracle_label", [])
>>> lines = [b'{"prompt": "q:", "response": "a", "judge_score": 0.5, "judge_score": 0.7}',
...          b'{"prompt": "q:", "response": "a", "judge_score": 0.5, "metadata": {"prompt_id": "x:1"}}']
>>> records = [schema.decoder.decode(line) for line in lines]
>>> metas = [schema.metadata() if r.metadata is msgspec.UNSET else r.metadata for r in records]
>>> flagged(records, metas, lines, schema)
[0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import msgspec
import numpy as np

from cje_fp.io._schema import UNSET, Schema

_ASTUPLE: Final = msgspec.structs.astuple
_ESCAPED_COLON: Final = (b"\\u003a", b"\\u003A")
_NESTED: Final = frozenset(b"{[")
_COLON: Final = ord(":")
_GROUP: Final = 256


def _string_colons(value: object) -> int:
    return value.count(":") if isinstance(value, str) else 0


def flagged(records: Sequence[Any], metas: Sequence[Any], lines: Sequence[bytes | None], schema: Schema) -> list[int]:
    """Indexes of the records whose line may repeat a key (``None`` lines, checked elsewhere, are skipped).

    Each line has at least as many colons as counted here unless it spells a
    colon as an escape, so equal totals over the chunk clear every line at once;
    otherwise the lines are compared one by one.
    """
    if None in lines:
        indexes = [index for index, line in enumerate(lines) if line is not None]
        kept = [records[index] for index in indexes]
        kept_metas = [metas[index] for index in indexes]
        kept_lines = [lines[index] or b"" for index in indexes]
    else:
        indexes, kept, kept_metas = list(range(len(lines))), list(records), list(metas)
        kept_lines = list(lines)  # type: ignore[arg-type]  # no None among them
    if not indexes or not schema.plain_names:
        return indexes
    total = _chunk_total(kept, kept_metas, schema)
    if total is not None and _colons(kept_lines) == total:
        return []
    return [
        index
        for index, record, meta, line in zip(indexes, kept, kept_metas, kept_lines, strict=True)
        if _expected(record, meta, line, schema) != line.count(b":")
    ]


def _colons(texts: Sequence[Any]) -> int:
    """Colons in the buffers ``texts``, joined a few hundred at a time (numpy counts a buffer that fits
    in the cache several times faster than ``bytes.count``)."""
    return sum(
        int(np.count_nonzero(np.frombuffer(b"".join(texts[start : start + _GROUP]), dtype=np.uint8) == _COLON))
        for start in range(0, len(texts), _GROUP)
    )


def _chunk_total(records: Sequence[Any], metas: Sequence[Any], schema: Schema) -> int | None:
    """The colons of all the lines if none repeats a key (None: count line by line).

    None when an extra is an object or array (its keys are not counted), or when
    a decoded string (an id, a target name) has a colon: a line may spell it as
    an escape, and the lines that do are found one by one.
    """
    n_row, n_meta = len(schema.row.__struct_fields__), len(schema.metadata.__struct_fields__)
    maps = [r.target_policy_logprobs for r in records if r.target_policy_logprobs is not UNSET]
    ids = [r.prompt_id for r in records if r.prompt_id.__class__ is str]
    ids += [m.prompt_id for m in metas if m.prompt_id.__class__ is str]
    if any(":" in name for name in set().union(*maps)) or any(":" in prompt_id for prompt_id in ids):
        return None
    total = (
        (n_row + n_meta) * len(records)
        - sum([_ASTUPLE(r).count(UNSET) + _ASTUPLE(m).count(UNSET) for r, m in zip(records, metas, strict=True)])
        + sum([len(mapping) for mapping in maps])
        + _colons([r.prompt for r in records])
        + _colons([r.response for r in records])
    )
    for _, under_metadata, attribute in schema.extras:
        values = [getattr(source, attribute) for source in (metas if under_metadata else records)]
        values = [value for value in values if value is not UNSET]
        if any(memoryview(value)[0] in _NESTED for value in values):
            return None
        total += _colons(values)
    return total


def _expected(record: Any, meta: Any, line: bytes, schema: Schema) -> int | None:
    """The colons of the record's line if it repeats no key (None: cannot tell, check it)."""
    n_row, n_meta = len(schema.row.__struct_fields__), len(schema.metadata.__struct_fields__)
    count = n_row - _ASTUPLE(record).count(UNSET) + n_meta - _ASTUPLE(meta).count(UNSET)
    count += bytes(record.prompt).count(b":") + bytes(record.response).count(b":")
    decoded = _string_colons(record.prompt_id) + _string_colons(meta.prompt_id)
    if record.target_policy_logprobs is not UNSET:
        count += len(record.target_policy_logprobs)
        decoded += sum(name.count(":") for name in record.target_policy_logprobs)
    for _, under_metadata, attribute in schema.extras:
        value = getattr(meta if under_metadata else record, attribute)
        if value is UNSET:
            continue
        if memoryview(value)[0] in _NESTED:
            return None  # its keys are not counted here
        count += bytes(value).count(b":")
    if decoded and any(escaped in line for escaped in _ESCAPED_COLON):
        return None  # a decoded colon may be spelled as an escape
    return count + decoded


def flagged_draws(rows: Sequence[Any], lines: Sequence[bytes]) -> list[int]:
    """Indexes of the fresh draws (or probe rows) whose line may repeat a key, by the same count.

    A line with a field the draw struct does not read is flagged (its keys are not counted).
    """
    if not rows:
        return []
    n_fields = len(rows[0].__struct_fields__)
    if not any(":" in row.prompt_id for row in rows if row.prompt_id.__class__ is str):
        total = (
            n_fields * len(rows)
            - sum([_ASTUPLE(row).count(UNSET) for row in rows])
            + _colons([row.response for row in rows if row.response is not UNSET])
            + _colons([row.prompt for row in rows if row.prompt is not UNSET])
        )
        if _colons(lines) == total:
            return []
    found = []
    for index, (row, line) in enumerate(zip(rows, lines, strict=True)):
        expected = n_fields - _ASTUPLE(row).count(UNSET) + _string_colons(row.prompt_id)
        expected += sum(bytes(raw).count(b":") for raw in (row.response, row.prompt) if raw is not UNSET)
        escaped = _string_colons(row.prompt_id) and any(escape in line for escape in _ESCAPED_COLON)
        if escaped or line.count(b":") != expected:
            found.append(index)
    return found
