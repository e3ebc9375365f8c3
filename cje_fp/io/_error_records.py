"""``LogProbError`` to and from JSON-ready records, so a failure survives a checkpoint.

>>> from cje_fp.errors._log_prob import RetriesExhausted, ServerError, HttpDetail
>>> error = RetriesExhausted(attempts=3, last=ServerError(status=503, http=HttpDetail(status=503)))
>>> record = error_to_record(error)
>>> record["kind"], record["last"]["kind"]
('retries_exhausted', 'server_error')
>>> error_from_record(record) == Success(error)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.errors import LOG_PROB_ERROR_TYPES, HttpDetail, LogProbError, sealed

_BY_KIND: Final = {error_type.kind: error_type for error_type in LOG_PROB_ERROR_TYPES}
_NESTED_ERRORS: Final = frozenset({"last"})
_NESTED_HTTP: Final = frozenset({"http"})


def error_to_record(error: LogProbError) -> dict[str, Any]:
    """A JSON-ready dict: ``kind`` plus the error's fields (nested errors too)."""
    record: dict[str, Any] = {"kind": error.kind}
    for field in attrs.fields(type(error)):
        value = getattr(error, field.name)
        if field.name in _NESTED_ERRORS:
            record[field.name] = error_to_record(value)
        elif isinstance(value, HttpDetail):
            record[field.name] = attrs.asdict(value)
        else:
            record[field.name] = value
    return record


def error_from_record(record: Mapping[str, Any]) -> Result[LogProbError, str]:
    """Rebuild the error a record describes, or say why the record is not one."""
    kind = record.get("kind")
    error_type = _BY_KIND.get(kind) if isinstance(kind, str) else None
    if error_type is None:
        return Failure(f"unknown error kind {kind!r}")
    fields: dict[str, Any] = {}
    for field in attrs.fields(error_type):
        if field.name not in record:
            continue
        match sealed(_field_value(field.name, record[field.name])):
            case Success(value):
                fields[field.name] = value
            case Failure(reason):
                return Failure(f"{kind}.{field.name}{reason}")
    try:
        error: LogProbError = error_type(**fields)
    except TypeError as problem:
        return Failure(f"{kind}: {problem}")
    return Success(error)


def _field_value(name: str, value: Any) -> Result[Any, str]:
    """A field's value, with nested errors and HTTP details rebuilt (a failure says why, after a colon)."""
    nested = name in _NESTED_ERRORS or (name in _NESTED_HTTP and value is not None)
    if not nested:
        return Success(value)
    if not isinstance(value, Mapping):
        return Failure(" is not a record")
    if name in _NESTED_ERRORS:
        return error_from_record(value).alt(lambda reason: f": {reason}")
    try:
        return Success(HttpDetail(**value))
    except TypeError as problem:
        return Failure(f": {problem}")
