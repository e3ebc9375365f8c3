"""The slow path of the CJE JSONL reader: a line the typed struct rejected, checked field by field.

``slow_record`` assembles the usable cells of such a line into the fast path's
record type, so both paths feed the same column extraction.

Each check reports what is wrong with a field to a ``ProblemSink`` and returns
the usable part: a finite float or None for a number cell (``UNSET`` when absent
or unusable), the text of a string field ("" when bad), the row's id.

>>> from cje_fp.io._problems import ProblemList
>>> sink = ProblemList()
>>> fields = parse_object(sink, 1, b'{"prompt": 3, "base_policy_logprob": 1e999}', ValueError("not the struct"))
>>> text_field(sink, 1, fields, "prompt"), log_prob_cell(sink, 1, "base_policy_logprob", fields)
('', UNSET)
>>> [problem.describe() for problem in sink.problems]
['line 1: prompt: wrong_type: Expected `str`, got `int`', 'line 1: base_policy_logprob: invalid_log_prob: infinite (inf)']
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final

import msgspec

from cje_fp.data import ProblemKind
from cje_fp.io._json_text import SURROGATE, TOO_DEEP, duplicate_key, surrogate_field, utf8_problem
from cje_fp.io._problems import ProblemSink
from cje_fp.io._prompt_ids import BadPromptId, prompt_id_of
from cje_fp.io._schema import TOP_FIELDS, UNSET, Schema

_OBJECT: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_FLOAT: Final = msgspec.json.Decoder(float | None)
_STR: Final = msgspec.json.Decoder(str)


def _decoded(value: object, decoder: msgspec.json.Decoder[Any], type_: Any) -> Any:
    """Decode a raw JSON value (fast path) or convert a Python value (slow path)."""
    if isinstance(value, msgspec.Raw):
        return decoder.decode(value)
    return msgspec.convert(value, type_)


def object_of(value: object) -> Mapping[str, object] | None:
    """A JSON object as a mapping of raw (or Python) values; None if not an object."""
    if isinstance(value, msgspec.Raw):
        try:
            return _OBJECT.decode(value)
        except msgspec.ValidationError:
            return None
    if isinstance(value, dict):
        return value
    return None


def python_value(value: object) -> object:
    """A raw JSON value as Python (a number too large for a float becomes inf, as ``json`` reads it)."""
    if not isinstance(value, msgspec.Raw):
        return value
    try:
        return msgspec.json.decode(value)
    except msgspec.ValidationError:
        return json.loads(bytes(value))


def raw_bytes(value: object) -> bytes:
    """The JSON text of a raw (or Python) value."""
    if isinstance(value, msgspec.Raw):
        return bytes(value)
    return msgspec.json.encode(value)


def parse_object(
    reporter: ProblemSink, number: int, line: bytes, error: Exception | None = None
) -> Mapping[str, object] | None:
    """The line (its BOM removed) as an object of raw values; else one problem and None.

    ``bad_json`` (also for invalid UTF-8 and nesting too deep), ``not_an_object``,
    ``invalid_text`` (a lone surrogate) or ``duplicate_key``. ``error`` is the
    fast path's own complaint about the line, if it had one.
    """
    bad_text = utf8_problem(line)
    if bad_text is not None:
        reporter.problem(number, bad_text[0], "bad_json", bad_text[1])
        return None
    fields: Mapping[str, object] | None
    try:
        fields = _OBJECT.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError):
        fields = None
    except RecursionError:
        reporter.problem(number, "<line>", "bad_json", TOO_DEEP)
        return None
    if fields is None:
        fields = _parsed_by_json(reporter, number, line, error)
        if fields is None:
            return None
    repeated = duplicate_key(line)
    if repeated is not None:
        reporter.problem(number, repeated[0], "duplicate_key", repeated[1])
        return None
    return fields


def _parsed_by_json(
    reporter: ProblemSink, number: int, line: bytes, error: Exception | None
) -> Mapping[str, object] | None:
    """What msgspec rejects but ``json`` reads (NaN, numbers beyond a float), checked for surrogates."""
    try:
        value = json.loads(line)
    except ValueError as json_error:
        reporter.problem(number, "<line>", "bad_json", str(error if error is not None else json_error))
        return None
    except RecursionError:
        reporter.problem(number, "<line>", "bad_json", TOO_DEEP)
        return None
    if not isinstance(value, dict):
        reporter.problem(number, "<line>", "not_an_object", f"a JSON {type(value).__name__}, not an object")
        return None
    field = surrogate_field(value)
    if field is not None:
        reporter.problem(number, field, "invalid_text", f"{field} {SURROGATE}")
        return None
    return value


def text_field(reporter: ProblemSink, number: int, fields: Mapping[str, object], name: str) -> str:
    """A required string field; else a ``missing_field`` or ``wrong_type`` problem (and "")."""
    if name not in fields:
        reporter.problem(number, name, "missing_field", f"{name} is required")
        return ""
    try:
        text: str = _decoded(fields[name], _STR, str)
    except msgspec.ValidationError as error:
        reporter.problem(number, name, "wrong_type", str(error))
        return ""
    return text


def checked_prompt_id(
    reporter: ProblemSink, number: int, fields: Mapping[str, object], metadata: Mapping[str, object], prompt: str
) -> str:
    """The row's id by the shared rule; a bad one is reported and replaced by a placeholder."""
    found = prompt_id_of(fields, metadata, prompt)
    if isinstance(found, BadPromptId):
        reporter.problem(number, found.field, "wrong_type", found.reason)
        return f"<bad id, line {number}>"
    return found


def log_prob_cell(reporter: ProblemSink, number: int, field: str, fields: Mapping[str, object]) -> object:
    """A raw cell: the float, None for null, UNSET when absent or unusable."""
    if field not in fields:
        return UNSET
    return _checked_number(reporter, number, field, fields[field], "invalid_log_prob")


def _checked_number(
    reporter: ProblemSink, number: int, field: str, value: object, kind: ProblemKind
) -> object:
    """A finite float or None; anything else is reported and unset."""
    try:
        decoded: float | None = _decoded(value, _FLOAT, float | None)
    except msgspec.ValidationError as error:
        overflowing = _overflowing_number(value)
        if overflowing is None:
            reporter.problem(number, field, "wrong_type", str(error))
            return UNSET
        decoded = overflowing
    if decoded is not None and not math.isfinite(decoded):
        reason = describe_log_prob(decoded) if kind == "invalid_log_prob" else f"{decoded!r} is not in [0, 1]"
        reporter.problem(number, field, kind, reason)
        return UNSET
    return decoded


def _overflowing_number(value: object) -> float | None:
    """A JSON number too large for a float (e.g. ``1e999``) as inf; None for anything else."""
    if isinstance(value, float):
        return value
    if not isinstance(value, msgspec.Raw):
        return None
    try:
        parsed = json.loads(bytes(value))
    except ValueError:
        return None
    return parsed if isinstance(parsed, float) else None


def score_cell(
    reporter: ProblemSink,
    number: int,
    field: str,
    fields: Mapping[str, object],
    metadata: Mapping[str, object],
) -> tuple[object, bool]:
    """The score cell and whether it came from ``metadata``."""
    if field in fields and not _is_null(fields[field]):
        return _checked_number(reporter, number, field, fields[field], "out_of_range"), False
    if field in metadata:
        return _checked_number(reporter, number, f"metadata.{field}", metadata[field], "out_of_range"), True
    return (None if field in fields else UNSET), False


def target_cells(reporter: ProblemSink, number: int, fields: Mapping[str, object]) -> object:
    """The target log-prob cells by policy (UNSET when absent or not an object)."""
    if "target_policy_logprobs" not in fields:
        return UNSET
    mapping = object_of(fields["target_policy_logprobs"])
    if mapping is None:
        reporter.problem(number, "target_policy_logprobs", "wrong_type", "expected an object")
        return UNSET
    return {
        name: _checked_number(reporter, number, f"target_policy_logprobs.{name}", value, "invalid_log_prob")
        for name, value in mapping.items()
    }


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, msgspec.Raw) and bytes(value) == b"null")


def describe_log_prob(value: float) -> str:
    """Why a log prob is invalid, in a few words."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return f"infinite ({value})"
    return f"positive ({value!r})"


def slow_record(
    reporter: ProblemSink,
    number: int,
    line: bytes,
    error: Exception,
    schema: Schema,
    *,
    judge_field: str,
    oracle_field: str,
) -> tuple[Any, list[str]]:
    """Check a rejected line field by field: a record of usable cells (or None) and its extra fields."""
    fields = parse_object(reporter, number, line, error)
    if fields is None:
        return None, []
    metadata: Mapping[str, object] = {}
    if "metadata" in fields:
        meta = object_of(fields["metadata"])
        if meta is None:
            reporter.problem(number, "metadata", "wrong_type", "expected an object")
        else:
            metadata = meta
    prompt = text_field(reporter, number, fields, "prompt")
    response = text_field(reporter, number, fields, "response")
    prompt_id = checked_prompt_id(reporter, number, fields, metadata, prompt)
    judge, judge_nested = score_cell(reporter, number, judge_field, fields, metadata)
    oracle, oracle_nested = score_cell(reporter, number, oracle_field, fields, metadata)
    record = schema.row(
        prompt=msgspec.Raw(msgspec.json.encode(prompt)),
        response=msgspec.Raw(msgspec.json.encode(response)),
        base_policy_logprob=log_prob_cell(reporter, number, "base_policy_logprob", fields),
        target_policy_logprobs=target_cells(reporter, number, fields),
        prompt_id=prompt_id,
        judge=UNSET if judge_nested else judge,
        oracle=UNSET if oracle_nested else oracle,
    )
    extra_items = {
        **{name: value for name, value in fields.items() if name not in TOP_FIELDS
           and name not in (judge_field, oracle_field)},
        **{f"metadata.{name}": value for name, value in metadata.items()
           if name not in ("prompt_id", judge_field, oracle_field)},
    }
    record_meta = schema.metadata()
    if judge_nested:
        record_meta.judge = judge
    if oracle_nested:
        record_meta.oracle = oracle
    for name, under_metadata, attribute in schema.extras:
        if name in extra_items:
            setattr(record_meta if under_metadata else record, attribute, raw_bytes(extra_items[name]))
    record.metadata = record_meta
    return record, list(extra_items)
