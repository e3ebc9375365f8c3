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

from cje_fp.errors import LOG_PROB_ERROR_TYPES, HttpDetail, LogProbError
from cje_fp.errors import sealed

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
        value = record[field.name]
        if field.name in _NESTED_ERRORS:
            if not isinstance(value, Mapping):
                return Failure(f"{kind}.{field.name} is not a record")
            match sealed(error_from_record(value)):
                case Success(nested):
                    value = nested
                case Failure(reason):
                    return Failure(f"{kind}.{field.name}: {reason}")
        elif field.name in _NESTED_HTTP and value is not None:
            if not isinstance(value, Mapping):
                return Failure(f"{kind}.{field.name} is not a record")
            try:
                value = HttpDetail(**value)
            except TypeError as problem:
                return Failure(f"{kind}.{field.name}: {problem}")
        fields[field.name] = value
    try:
        error: LogProbError = error_type(**fields)
    except TypeError as problem:
        return Failure(f"{kind}: {problem}")
    return Success(error)
