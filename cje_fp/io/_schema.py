"""The fast path of the CJE JSONL reader: typed msgspec structs that decode a well-formed row.

The structs reject unknown fields, so a row with a field not seen before fails
once, takes the slow path (``cje_fp.io._cells``), and the schema is rebuilt
with that field as an extra column. Judge and oracle values may sit at the top
level or under ``metadata``: the top-level one wins unless it is null or absent.

>>> schema = Schema.build("judge_score", "oracle_label", [])
>>> row = schema.decoder.decode(b'{"prompt": "q", "response": "a", "judge_score": null, "metadata": {"judge_score": 0.5}}')
>>> first_set(row.judge, row.metadata.judge), nested_wins(row.judge, row.metadata.judge)
(0.5, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, TypeAlias

import attrs
import msgspec

TOP_FIELDS: Final = frozenset(
    {"prompt", "response", "base_policy_logprob", "target_policy_logprobs", "prompt_id", "metadata"}
)

QUOTE: Final = ord('"')
_JUDGE: Final = "judge"
_ORACLE: Final = "oracle"
UNSET: Final = msgspec.UNSET
_UnsetFloat: TypeAlias = float | msgspec.UnsetType | None


@attrs.frozen
class Schema:
    """The typed structs of well-formed rows, given the extra fields seen so far."""

    row: Any
    metadata: Any
    decoder: msgspec.json.Decoder[Any]
    extras: tuple[tuple[str, bool, str], ...]
    """(field name, under metadata, struct attribute) per extra field."""
    plain_names: bool
    """No field name has a colon (``cje_fp.io._key_counts`` counts colons)."""

    @classmethod
    def build(cls, judge_field: str, oracle_field: str, extra_names: Sequence[str]) -> Schema:
        """Structs that reject unknown fields, so that a new field takes the slow path once."""
        unset = UNSET
        extras: list[tuple[str, bool, str]] = []
        meta_fields: list[tuple[str, Any, Any]] = [
            ("prompt_id", str | int | msgspec.UnsetType, unset),
            (_JUDGE, _UnsetFloat, unset),
            (_ORACLE, _UnsetFloat, unset),
        ]
        meta_rename = {"prompt_id": "prompt_id", _JUDGE: judge_field, _ORACLE: oracle_field}
        row_fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [
            ("prompt", msgspec.Raw),
            ("response", msgspec.Raw),
            ("base_policy_logprob", _UnsetFloat, unset),
            ("target_policy_logprobs", dict[str, float | None] | msgspec.UnsetType, unset),
            ("prompt_id", str | int | msgspec.UnsetType, unset),
            (_JUDGE, _UnsetFloat, unset),
            (_ORACLE, _UnsetFloat, unset),
        ]
        rename = {name: name for name in TOP_FIELDS}
        rename.update({_JUDGE: judge_field, _ORACLE: oracle_field})
        for index, name in enumerate(extra_names):
            attribute = f"x{index}"
            under_metadata = name.startswith("metadata.")
            extras.append((name, under_metadata, attribute))
            if under_metadata:
                meta_fields.append((attribute, msgspec.Raw | msgspec.UnsetType, unset))
                meta_rename[attribute] = name.removeprefix("metadata.")
            else:
                row_fields.append((attribute, msgspec.Raw | msgspec.UnsetType, unset))
                rename[attribute] = name
        metadata = msgspec.defstruct(
            "FastMetadata", meta_fields, rename=meta_rename, forbid_unknown_fields=True, gc=False
        )
        row_fields.append(("metadata", metadata | msgspec.UnsetType, unset))
        row = msgspec.defstruct("FastRow", row_fields, rename=rename, forbid_unknown_fields=True, gc=False)
        plain = not any(":" in name for name in (judge_field, oracle_field, *extra_names))
        return cls(
            row=row, metadata=metadata, decoder=msgspec.json.Decoder(row), extras=tuple(extras), plain_names=plain
        )


def nested_wins(top: object, nested: object) -> bool:
    """Whether the metadata value is the one used (the top-level one is null or absent)."""
    return (top is None or top is UNSET) and nested is not UNSET


def first_set(top: object, nested: object) -> object:
    """The incumbent's rule: a top-level value unless null/absent, then the metadata value."""
    return nested if nested_wins(top, nested) else top
