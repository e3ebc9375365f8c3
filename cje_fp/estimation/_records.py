"""Result records as JSON-able data and back, with a ``schema_version``.

``to_data`` turns attrs records, mappings, tuples and numpy scalars into JSON
values; JSON has no inf or NaN, so non-finite floats are written as the strings
``"inf"``, ``"-inf"`` and ``"nan"`` and read back as floats. ``Record`` gives a
record ``to_dict()`` (its fields plus ``schema_version``) and
``from_dict(data)``, which returns ``Success(record)`` or, for data that is not
such a record (another schema version, a missing or mistyped field),
``Failure(InvalidRecord(...))``: reading a file someone else wrote is an
expected failure, not an exception.

>>> import math
>>> @attrs.frozen
... class Point(Record):
...     x: float
...     label: str | None = None
>>> Point(x=math.inf).to_dict()
{'schema_version': 1, 'x': 'inf', 'label': None}
>>> Point.from_dict({'schema_version': 1, 'x': 'inf', 'label': None})
<Success: Point(x=inf, label=None)>
>>> Point.from_dict({'schema_version': 2, 'x': 1.0}).alt(lambda error: error.describe())
<Failure: invalid_record: Point: schema_version 2, this library reads 1>
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar, Final, Self, TypeAlias, TypeVar, cast, final

import attrs
import msgspec
import numpy as np
from returns.result import Failure, Result, Success

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]

#: The version of every record's layout; bumped when a field changes meaning or goes away.
SCHEMA_VERSION: Final = 1

_T = TypeVar("_T")
_R = TypeVar("_R", bound="ErrorRecord")


def to_data(value: object) -> JsonValue:
    """``value`` as JSON data: attrs records as objects, non-finite floats as strings.

    >>> to_data({"ci": (0.1, float("nan")), "n": np.int64(3)})
    {'ci': [0.1, 'nan'], 'n': 3}
    """
    if attrs.has(type(value)):
        return record_fields(value)
    if isinstance(value, Mapping):
        return {str(key): to_data(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    if isinstance(value, np.generic):
        return to_data(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"{type(value).__name__} is not JSON data")


def to_object(mapping: Mapping[str, object]) -> JsonObject:
    """A mapping as a JSON object (``to_data`` of each value)."""
    return {str(key): to_data(item) for key, item in mapping.items()}


def record_fields(record: object) -> JsonObject:
    """An attrs record's fields as a JSON object (class variables such as ``kind`` are not fields)."""
    fields = attrs.fields(cast("type[attrs.AttrsInstance]", type(record)))
    return {field.name: to_data(getattr(record, field.name)) for field in fields}


@final
@attrs.frozen(kw_only=True)
class InvalidRecord:
    """Data that is not the record it was read as."""

    kind: ClassVar[str] = "invalid_record"
    record: str
    """The record type it was read as."""
    reason: str

    def describe(self) -> str:
        return f"{self.kind}: {self.record}: {self.reason}"


def versioned(data: object, record: str) -> Result[dict[str, object], InvalidRecord]:
    """The fields of a versioned record (``schema_version`` removed), if it is this library's version."""
    if not isinstance(data, Mapping):
        return Failure(InvalidRecord(record=record, reason=f"expected an object, got {type(data).__name__}"))
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        return Failure(
            InvalidRecord(record=record, reason=f"schema_version {version!r}, this library reads {SCHEMA_VERSION}")
        )
    return Success({str(key): item for key, item in data.items() if key != "schema_version"})


def from_data(data: object, record_type: type[_T]) -> Result[_T, InvalidRecord]:
    """``data`` read as ``record_type`` (non-finite floats from their strings), or why it is not one."""
    try:
        return Success(msgspec.convert(data, record_type, strict=False))
    except msgspec.ValidationError as error:
        return Failure(InvalidRecord(record=record_type.__name__, reason=str(error)))


class Record:
    """Mixin for attrs records: ``to_dict()`` and ``from_dict()`` with a ``schema_version``."""

    __slots__ = ()

    def to_dict(self) -> JsonObject:
        """The record as JSON data, with ``schema_version``."""
        return {"schema_version": SCHEMA_VERSION, **record_fields(self)}

    @classmethod
    def from_dict(cls, data: object) -> Result[Self, InvalidRecord]:
        """The record ``to_dict`` wrote, or why ``data`` is not one."""
        return versioned(data, cls.__name__).bind(lambda fields: from_data(fields, cls))


class ErrorRecord(Record):
    """Mixin for error records: ``to_dict()`` also carries the error's ``kind``."""

    __slots__ = ()
    kind: ClassVar[str]

    def to_dict(self) -> JsonObject:
        """The error as JSON data, with ``schema_version`` and ``kind``."""
        return {"schema_version": SCHEMA_VERSION, "kind": self.kind, **record_fields(self)}

    @classmethod
    def from_dict(cls, data: object) -> Result[Self, InvalidRecord]:
        """The error ``to_dict`` wrote, or why ``data`` is not one (of this kind)."""
        return versioned(data, cls.__name__).bind(lambda fields: _of_kind(cls, fields))


def _of_kind(record_type: type[_R], fields: dict[str, object]) -> Result[_R, InvalidRecord]:
    kind = fields.pop("kind", None)
    if kind != record_type.kind:
        return Failure(InvalidRecord(record=record_type.__name__, reason=f"kind {kind!r}, expected {record_type.kind!r}"))
    return from_data(fields, record_type)

