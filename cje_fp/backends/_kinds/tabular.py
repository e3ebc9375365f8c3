"""Kind ``tabular``: an exact ``TabularPolicy`` from a scoring config, for users' own tests.

Its one field is the policy's own ``table`` (derived): an inline TOML table
``{context = {response = log_prob}}``, or the name of a JSON file holding one,
relative to the config. The context is the row's prompt as is (no chat template).
A row outside the table is an ``invalid_input`` failure, never a number::

    [policies.base]
    kind = "tabular"
    table = "base_table.json"

>>> sorted(BACKEND.fields), sorted(BACKEND.required)
(['table'], ['table'])
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Final

import msgspec
from returns.result import Failure, Result, Success

from cje_fp.backends._registry import (
    Backend,
    ConfiguredPolicy,
    Diagnosis,
    PolicySettings,
    fields_of,
)
from cje_fp.backends._tabular import TabularPolicy

Table = dict[str, dict[str, float]]

_FIELDS, _REQUIRED = fields_of(TabularPolicy, config_types={"table": str | Table})
_TABLE: Final = msgspec.json.Decoder(Table)


def _table(settings: PolicySettings) -> Result[Table, str]:
    given = settings.options["table"]
    if isinstance(given, dict):
        return Success(given)
    source = settings.folder / str(given)
    try:
        text = source.read_bytes()
        table = _TABLE.decode(text)
    except OSError as error:
        return Failure(f"table {source}: {error.strerror or error}")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        return Failure(f"table {source}: not a JSON object of {{context: {{response: log_prob}}}}: {error}")
    repeated = _repeated_key(text)
    if repeated is not None:
        return Failure(f"table {source}: the key {repeated!r} appears twice in one object (JSON keeps only "
                       "the last value); keep one")
    return Success(table)


def _repeated_key(text: bytes) -> str | None:
    """The first key repeated within one object of ``text`` (which parses), or None.

    >>> _repeated_key(b'{"q": {"a": -1.0, "a": -2.0}}'), _repeated_key(b'{"q": {"a": -1.0}}')
    ('a', None)
    """
    found: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen and not found:
                found.append(key)
            seen.add(key)
        return dict(items)

    json.loads(text, object_pairs_hook=pairs)
    return found[0] if found else None


def _fingerprint(table: Mapping[str, Mapping[str, float]]) -> dict[str, str | None]:
    digest = hashlib.sha256(msgspec.json.encode(table, order="sorted")).hexdigest()[:16]
    return {"kind": BACKEND.kind, "table": digest}


def _configured(name: str, table: Table) -> Result[ConfiguredPolicy, str]:
    try:
        policy = TabularPolicy(name=name, table=table)
    except ValueError as error:
        return Failure(str(error))
    summary = f"in-process table of {len(policy.table)} contexts: exact, nothing to reach"
    return Success(
        ConfiguredPolicy(
            policy=policy,
            kind=BACKEND.kind,
            fingerprint=_fingerprint(policy.table),
            diagnose=lambda: Diagnosis(policy=name, reachable=True, usable=True, summary=summary),
        )
    )


def _build(settings: PolicySettings) -> Result[ConfiguredPolicy, str]:
    return _table(settings).bind(lambda table: _configured(settings.name, table))


BACKEND: Final = Backend(kind="tabular", fields=_FIELDS, required=_REQUIRED, build=_build)
