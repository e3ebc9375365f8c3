"""Load CJE-format JSONL into a ``Dataset``, reporting every bad row by line, field and reason.

Format (one JSON object per non-blank line, as cje-eval 0.3 writes it):
``prompt`` and ``response`` (strings, required), ``base_policy_logprob``
(number or null), ``target_policy_logprobs`` ({policy: number or null}),
``judge_score`` and ``oracle_label`` (number in [0, 1] or null, top level or
under ``metadata``), ``prompt_id`` (top level or ``metadata.prompt_id``; a
string or an integer; else ``"prompt_" + sha256(prompt)[:12]``). Any other
field is kept, as raw JSON, in ``Dataset.extras``.

Strict by default: any problem gives ``Failure(DataErrors)`` listing all of
them. With ``strict=False`` bad rows are dropped, counted in ``dropped`` and
listed in ``problems``, except for a bad **log prob** (positive, even by 1e-9
of rounding noise, NaN, infinite or not a number): that cell alone becomes
missing, with reason ``invalid_log_prob`` (or ``wrong_type``), so a bad target
log prob costs the row for that policy only, and a bad base log prob costs it
for every policy (counted as ``base_log_prob:invalid_log_prob``); the
problem is still listed, and fails a strict load. A null (or absent) log prob
is not a problem: the row then has no weight for that policy only, and the
reason is counted.

Parsing uses msgspec, keeps only the columns estimation needs (the text is
never decoded: it is checked to be a JSON string and reduced to its length in
bytes) and streams the file, so a million rows with full text fit in a few
hundred megabytes.

>>> import tempfile, os
>>> rows = [
...     '{"prompt": "q1", "response": "a", "base_policy_logprob": -1.0,'
...     ' "target_policy_logprobs": {"t": -2.0}, "judge_score": 0.5, "prompt_id": "p1"}',
...     '{"prompt": "q2", "response": "b", "base_policy_logprob": 0.5,'
...     ' "target_policy_logprobs": {"t": null}, "judge_score": 1.5, "prompt_id": "p2"}',
... ]
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "logs.jsonl")
...     with open(path, "w") as handle:
...         _ = handle.write("\\n".join(rows) + "\\n")
...     for problem in find_problems(path):
...         print(problem.describe())
...     lenient = load_dataset(path, strict=False)
line 2: base_policy_logprob: invalid_log_prob: positive (0.5)
line 2: judge_score: out_of_range: 1.5 is not in [0, 1]
>>> lenient.map(lambda data: (data.n_rows, dict(data.dropped)))
<Success: (1, {'out_of_range': 1})>
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias

import attrs
import msgspec
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import FILE_LINE, DataErrors, ProblemKind, RowProblem
from cje_fp.data import CodeArray, Dataset, FloatArray, IntArray, MaskedColumn, factorize, hash_ids

RepeatedPrompts: TypeAlias = Literal["error", "cluster"]
"""Rows sharing a prompt id: a ``duplicate_prompt_id`` problem, or one cluster."""

_NULL: Final = 1
_ABSENT: Final = 2
_INVALID: Final = 3
_WRONG_TYPE: Final = 4
_REASONS: Final = ("", "null", "absent", "invalid_log_prob", "wrong_type")
_CELL_KINDS: Final = {"invalid_log_prob": _INVALID, "wrong_type": _WRONG_TYPE}
"""Problems of a log-prob cell: the cell becomes missing with this code instead of dropping the row."""

_TOP_FIELDS: Final = frozenset(
    {"prompt", "response", "base_policy_logprob", "target_policy_logprobs", "prompt_id", "metadata"}
)

_OBJECT: Final = msgspec.json.Decoder(dict[str, msgspec.Raw])
_FLOAT: Final = msgspec.json.Decoder(float | None)
_STR: Final = msgspec.json.Decoder(str)
_ID: Final = msgspec.json.Decoder(str | int)


def hashed_prompt_id(prompt: str) -> str:
    """The id of a row without one: ``"prompt_" + sha256(prompt)[:12]`` (as CJE derives it).

    >>> hashed_prompt_id("hello")
    'prompt_2cf24dba5fb0'
    """
    return "prompt_" + hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def _decode(value: object, decoder: msgspec.json.Decoder[Any], type_: Any) -> Any:
    """Decode a raw JSON value (fast path) or convert a Python value (slow path)."""
    if isinstance(value, msgspec.Raw):
        return decoder.decode(value)
    return msgspec.convert(value, type_)


def _object(value: object) -> Mapping[str, object] | None:
    """A JSON object as a mapping of raw (or Python) values; None if not an object."""
    if isinstance(value, msgspec.Raw):
        try:
            return _OBJECT.decode(value)
        except msgspec.ValidationError:
            return None
    if isinstance(value, dict):
        return value
    return None


def _raw_bytes(value: object) -> bytes:
    if isinstance(value, msgspec.Raw):
        return bytes(value)
    return msgspec.json.encode(value)


_QUOTE: Final = ord('"')
_JUDGE: Final = "judge"
_ORACLE: Final = "oracle"
_UNSET: Final = msgspec.UNSET
_UnsetFloat: TypeAlias = float | None | msgspec.UnsetType

#: Rows decoded before their columns are extracted (bounds the memory of a chunk).
_CHUNK: Final = 16384


@attrs.frozen
class _Schema:
    """The typed structs of well-formed rows, given the extra fields seen so far."""

    row: Any
    metadata: Any
    decoder: msgspec.json.Decoder[Any]
    extras: tuple[tuple[str, bool, str], ...]
    """(field name, under metadata, struct attribute) per extra field."""

    @classmethod
    def build(cls, judge_field: str, oracle_field: str, extra_names: Sequence[str]) -> _Schema:
        """Structs that reject unknown fields, so that a new field takes the slow path once."""
        unset = _UNSET
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
        rename = {name: name for name in _TOP_FIELDS}
        rename.update({_JUDGE: judge_field, _ORACLE: oracle_field})
        for index, name in enumerate(extra_names):
            attribute = f"x{index}"
            under_metadata = name.startswith("metadata.")
            extras.append((name, under_metadata, attribute))
            if under_metadata:
                meta_fields.append((attribute, msgspec.Raw | bytes | msgspec.UnsetType, unset))
                meta_rename[attribute] = name.removeprefix("metadata.")
            else:
                row_fields.append((attribute, msgspec.Raw | bytes | msgspec.UnsetType, unset))
                rename[attribute] = name
        metadata = msgspec.defstruct(
            "FastMetadata", meta_fields, rename=meta_rename, forbid_unknown_fields=True, gc=False
        )
        row_fields.append(("metadata", metadata | msgspec.UnsetType, unset))
        row = msgspec.defstruct("FastRow", row_fields, rename=rename, forbid_unknown_fields=True, gc=False)
        return cls(row=row, metadata=metadata, decoder=msgspec.json.Decoder(row), extras=tuple(extras))


def _nested_wins(top: object, nested: object) -> bool:
    """Whether the metadata value is the one used (the top-level one is null or absent)."""
    return (top is None or top is _UNSET) and nested is not _UNSET


def _first_set(top: object, nested: object) -> object:
    """The incumbent's rule: a top-level value unless null/absent, then the metadata value."""
    return nested if _nested_wins(top, nested) else top


@attrs.define
class _FloatBuilder:
    """A float column under construction: numpy chunks of values and reason codes."""

    values: list[FloatArray] = attrs.field(factory=list)
    codes: list[CodeArray] = attrs.field(factory=list)
    from_metadata: list[list[bool]] = attrs.field(factory=list)
    """Per chunk, whether each value was read from ``metadata`` (judge and oracle columns)."""
    length: int = 0

    def extend(self, cells: Sequence[object]) -> None:
        """Append raw cells: a float, None (null) or UNSET (absent or unusable)."""
        # Cells reaching here are finite floats (non-finite ones were reported and unset on the
        # slow path), so NaN and +inf can carry null and absent through one vectorised pass.
        nan, inf = math.nan, math.inf
        values = np.array(
            [cell if cell.__class__ is float else (nan if cell is None else inf) for cell in cells],
            dtype=np.float64,
        )
        codes = np.zeros(values.shape, dtype=np.uint8)
        codes[np.isnan(values)] = _NULL
        codes[np.isinf(values)] = _ABSENT
        values[codes != 0] = nan
        self.values.append(values)
        self.codes.append(codes)
        self.length += len(cells)

    def pad(self, n: int) -> None:
        """Mark rows up to ``n`` as absent."""
        if n > self.length:
            self.values.append(np.full(n - self.length, math.nan))
            self.codes.append(np.full(n - self.length, _ABSENT, dtype=np.uint8))
            self.length = n

    def arrays(self) -> tuple[FloatArray, CodeArray]:
        values = np.concatenate(self.values) if self.values else np.zeros(0)
        codes = np.concatenate(self.codes) if self.codes else np.zeros(0, dtype=np.uint8)
        self.values, self.codes = [values], [codes]
        return values, codes


@attrs.define
class _Reader:
    """Accumulates columns and problems, a chunk of rows at a time."""

    judge_field: str
    oracle_field: str
    wanted_targets: frozenset[str] | None
    repeated_prompts: RepeatedPrompts
    keep_extras: bool
    prompt_ids: list[str] = attrs.field(factory=list)
    lines: list[IntArray] = attrs.field(factory=list)
    lengths: list[IntArray] = attrs.field(factory=list)
    base: _FloatBuilder = attrs.field(factory=_FloatBuilder)
    judge: _FloatBuilder = attrs.field(factory=_FloatBuilder)
    oracle: _FloatBuilder = attrs.field(factory=_FloatBuilder)
    targets: dict[str, _FloatBuilder] = attrs.field(factory=dict)
    extras: dict[str, list[bytes | None]] = attrs.field(factory=dict)
    problems: list[RowProblem] = attrs.field(factory=list)
    cluster_of: dict[str, int] = attrs.field(factory=dict)
    first_lines: list[int] = attrs.field(factory=list)
    clusters: list[IntArray] = attrs.field(factory=list)
    n_lines: int = 0
    schema: _Schema | None = None

    def problem(self, line: int, field: str, kind: ProblemKind, reason: str) -> None:
        self.problems.append(RowProblem(line=line, field=field, kind=kind, reason=reason))

    def read(self, handle: Iterable[bytes]) -> None:
        schema = self.schema = _Schema.build(self.judge_field, self.oracle_field, [])
        decode = schema.decoder.decode
        records: list[Any] = []
        numbers: list[int] = []
        number = 0
        for number, line in enumerate(handle, start=1):
            if not line or line.isspace():
                continue
            try:
                record = decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError) as error:
                record, names = self._slow_record(number, line, error, schema, self)
                new_names = [name for name in names if name not in self.extras]
                if new_names:
                    self._columns(records, numbers, schema)
                    records, numbers = [], []
                    for name in new_names:
                        self.extras[name] = [None] * len(self.prompt_ids)
                    schema = self.schema = _Schema.build(self.judge_field, self.oracle_field, list(self.extras))
                    decode = schema.decoder.decode
                    record, _ = self._slow_record(number, line, error, schema, _Silent())
                if record is None:
                    continue
            records.append(record)
            numbers.append(number)
            if len(records) >= _CHUNK:
                self._columns(records, numbers, schema)
                records, numbers = [], []
        self.n_lines = number
        self._columns(records, numbers, schema)

    def _columns(self, records: list[Any], numbers: list[int], schema: _Schema) -> None:
        """Extract the columns of a chunk of records (list comprehensions, no per-row calls)."""
        if not records:
            return
        start = len(self.prompt_ids)
        self.lines.append(np.array(numbers, dtype=np.int64))
        # Text stays raw JSON: its first byte says whether it is a string, and its length
        # (minus the quotes) is the response length in bytes of JSON text.
        first_bytes = np.array(
            [memoryview(r.prompt)[0] * 256 + memoryview(r.response)[0] for r in records], dtype=np.int64
        )
        not_text = np.flatnonzero(first_bytes != _QUOTE * 257)
        for index in not_text.tolist():
            record, number = records[index], numbers[index]
            for name in ("prompt", "response"):
                if memoryview(getattr(record, name))[0] != _QUOTE:
                    self.problem(number, name, "wrong_type", "expected a string")
        self.lengths.append(np.array([len(record.response) - 2 for record in records], dtype=np.int64))
        empty = schema.metadata()
        metas = [empty if record.metadata is _UNSET else record.metadata for record in records]
        ids = [
            r.prompt_id if r.prompt_id.__class__ is str
            else (m.prompt_id if r.prompt_id is _UNSET and m.prompt_id.__class__ is str else self._prompt_id(r, m))
            for r, m in zip(records, metas, strict=True)
        ]
        self.prompt_ids.extend(ids)
        cluster_of = self.cluster_of
        clusters = [cluster_of.setdefault(prompt_id, len(cluster_of)) for prompt_id in ids]
        self.clusters.append(np.array(clusters, dtype=np.int64))
        first_lines = self.first_lines
        for prompt_id, cluster, number in zip(ids, clusters, numbers, strict=True):
            if cluster == len(first_lines):
                first_lines.append(number)
                if prompt_id:
                    continue
            self._bad_id(number, prompt_id, first_lines[cluster])
        self.base.extend([record.base_policy_logprob for record in records])
        self.judge.extend(
            [r.judge if r.judge.__class__ is float else _first_set(r.judge, m.judge) for r, m in zip(records, metas, strict=True)]
        )
        self.judge.from_metadata.append(
            [r.judge.__class__ is not float and _nested_wins(r.judge, m.judge) for r, m in zip(records, metas, strict=True)]
        )
        self.oracle.extend(
            [r.oracle if r.oracle.__class__ is float else _first_set(r.oracle, m.oracle) for r, m in zip(records, metas, strict=True)]
        )
        self.oracle.from_metadata.append(
            [r.oracle.__class__ is not float and _nested_wins(r.oracle, m.oracle) for r, m in zip(records, metas, strict=True)]
        )
        maps = [{} if record.target_policy_logprobs is _UNSET else record.target_policy_logprobs for record in records]
        names: set[str] = set().union(*maps)
        if self.wanted_targets is not None:
            names &= self.wanted_targets
        for name in sorted(names - self.targets.keys()):
            self.targets[name] = _FloatBuilder()
            self.targets[name].pad(start)
        for name, builder in self.targets.items():
            builder.extend([mapping.get(name, _UNSET) for mapping in maps])
        for name, under_metadata, attribute in schema.extras:
            sources = metas if under_metadata else records
            values = [getattr(source, attribute) for source in sources]
            self.extras[name].extend(None if value is _UNSET else bytes(value) for value in values)

    def _prompt_id(self, record: Any, meta: Any) -> str:
        prompt_id = record.prompt_id
        if prompt_id is _UNSET:
            prompt_id = meta.prompt_id
        if prompt_id is _UNSET:
            prompt = _STR.decode(record.prompt) if memoryview(record.prompt)[0] == _QUOTE else ""
            return hashed_prompt_id(prompt)
        return str(prompt_id)

    def _bad_id(self, number: int, prompt_id: str, first: int) -> None:
        if number == first and prompt_id:
            return
        if not prompt_id:
            self.problem(number, "prompt_id", "wrong_type", "prompt_id is empty")
        elif self.repeated_prompts == "error":
            self.problem(number, "prompt_id", "duplicate_prompt_id", f"{prompt_id!r} already on line {first}")

    # The slow path: a line the typed struct rejected --------------------------------------

    def _slow_record(
        self, number: int, line: bytes, error: Exception, schema: _Schema, reporter: _Reader | _Silent
    ) -> tuple[Any, list[str]]:
        """Check a rejected line field by field: a record of usable cells (or None) and its extra fields."""
        fields = _parse_object(reporter, number, line, error)
        if fields is None:
            return None, []
        metadata: Mapping[str, object] = {}
        if "metadata" in fields:
            meta = _object(fields["metadata"])
            if meta is None:
                reporter.problem(number, "metadata", "wrong_type", "expected an object")
            else:
                metadata = meta
        prompt = _text(reporter, number, fields, "prompt")
        response = _text(reporter, number, fields, "response")
        prompt_id = _slow_prompt_id(reporter, number, fields, metadata)
        judge, judge_nested = _slow_score(reporter, number, self.judge_field, fields, metadata)
        oracle, oracle_nested = _slow_score(reporter, number, self.oracle_field, fields, metadata)
        record = schema.row(
            prompt=msgspec.Raw(msgspec.json.encode(prompt)),
            response=msgspec.Raw(msgspec.json.encode(response)),
            base_policy_logprob=_slow_number(reporter, number, "base_policy_logprob", fields),
            target_policy_logprobs=_slow_targets(reporter, number, fields),
            prompt_id=prompt_id,
            judge=_UNSET if judge_nested else judge,
            oracle=_UNSET if oracle_nested else oracle,
        )
        extra_items = {
            **{name: value for name, value in fields.items() if name not in _TOP_FIELDS
               and name not in (self.judge_field, self.oracle_field)},
            **{f"metadata.{name}": value for name, value in metadata.items()
               if name not in ("prompt_id", self.judge_field, self.oracle_field)},
        }
        record_meta = schema.metadata()
        if judge_nested:
            record_meta.judge = judge
        if oracle_nested:
            record_meta.oracle = oracle
        for name, under_metadata, attribute in schema.extras:
            if name in extra_items:
                setattr(record_meta if under_metadata else record, attribute, _raw_bytes(extra_items[name]))
        record.metadata = record_meta
        return record, list(extra_items)


class _Silent:
    """Stands in for the reader when a line is parsed a second time (problems already reported)."""

    def problem(self, line: int, field: str, kind: ProblemKind, reason: str) -> None:
        """Ignore the problem: it was reported on the first pass."""


def _parse_object(reporter: _Reader | _Silent, number: int, line: bytes, error: Exception) -> Mapping[str, object] | None:
    try:
        fields: Mapping[str, object] = _OBJECT.decode(line)
        return fields
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    try:
        value = json.loads(line)
    except ValueError:
        reporter.problem(number, "<line>", "bad_json", str(error))
        return None
    if not isinstance(value, dict):
        reporter.problem(number, "<line>", "not_an_object", f"a JSON {type(value).__name__}, not an object")
        return None
    return value


def _text(reporter: _Reader | _Silent, number: int, fields: Mapping[str, object], name: str) -> str:
    if name not in fields:
        reporter.problem(number, name, "missing_field", f"{name} is required")
        return ""
    try:
        text: str = _decode(fields[name], _STR, str)
    except msgspec.ValidationError as error:
        reporter.problem(number, name, "wrong_type", str(error))
        return ""
    return text


def _slow_prompt_id(
    reporter: _Reader | _Silent, number: int, fields: Mapping[str, object], metadata: Mapping[str, object]
) -> object:
    source, name = (fields, "prompt_id") if "prompt_id" in fields else (metadata, "metadata.prompt_id")
    if "prompt_id" not in source:
        return _UNSET
    try:
        return str(_decode(source["prompt_id"], _ID, str | int))
    except msgspec.ValidationError as error:
        reporter.problem(number, name, "wrong_type", str(error))
        return f"<bad id, line {number}>"


def _slow_number(reporter: _Reader | _Silent, number: int, field: str, fields: Mapping[str, object]) -> object:
    """A raw cell: the float, None for null, UNSET when absent or unusable."""
    if field not in fields:
        return _UNSET
    return _checked_number(reporter, number, field, fields[field], "invalid_log_prob")


def _checked_number(
    reporter: _Reader | _Silent, number: int, field: str, value: object, kind: ProblemKind
) -> object:
    """A finite float or None; anything else is reported and unset."""
    try:
        decoded: float | None = _decode(value, _FLOAT, float | None)
    except msgspec.ValidationError as error:
        overflowing = _overflowing_number(value)
        if overflowing is None:
            reporter.problem(number, field, "wrong_type", str(error))
            return _UNSET
        decoded = overflowing
    if decoded is not None and not math.isfinite(decoded):
        reason = _describe_log_prob(decoded) if kind == "invalid_log_prob" else f"{decoded!r} is not in [0, 1]"
        reporter.problem(number, field, kind, reason)
        return _UNSET
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


def _slow_score(
    reporter: _Reader | _Silent,
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
    return (None if field in fields else _UNSET), False


def _slow_targets(reporter: _Reader | _Silent, number: int, fields: Mapping[str, object]) -> object:
    if "target_policy_logprobs" not in fields:
        return _UNSET
    mapping = _object(fields["target_policy_logprobs"])
    if mapping is None:
        reporter.problem(number, "target_policy_logprobs", "wrong_type", "expected an object")
        return _UNSET
    return {
        name: _checked_number(reporter, number, f"target_policy_logprobs.{name}", value, "invalid_log_prob")
        for name, value in mapping.items()
    }


def _is_null(value: object) -> bool:
    return value is None or (isinstance(value, msgspec.Raw) and bytes(value) == b"null")


def _describe_log_prob(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return f"infinite ({value})"
    return f"positive ({value!r})"


def _check_values(reader: _Reader) -> None:
    """Vectorised value checks: log probs finite and <= 0, scores in [0, 1]."""
    lines = np.concatenate(reader.lines) if reader.lines else np.zeros(0, dtype=np.int64)
    log_prob_columns = [("base_policy_logprob", reader.base)] + [
        (f"target_policy_logprobs.{name}", builder) for name, builder in sorted(reader.targets.items())
    ]
    for field, builder in log_prob_columns:
        values, codes = builder.arrays()
        with np.errstate(invalid="ignore"):
            invalid = (codes == 0) & ~(np.isfinite(values) & (values <= 0.0))
        for row in np.flatnonzero(invalid):
            reader.problem(int(lines[row]), field, "invalid_log_prob", _describe_log_prob(float(values[row])))
    for field, builder in ((reader.judge_field, reader.judge), (reader.oracle_field, reader.oracle)):
        values, codes = builder.arrays()
        with np.errstate(invalid="ignore"):
            invalid = (codes == 0) & ~((values >= 0.0) & (values <= 1.0))
        rows = np.flatnonzero(invalid)
        if rows.size:
            nested = np.concatenate([np.array(chunk, dtype=bool) for chunk in builder.from_metadata])
            for row in rows:
                name = f"metadata.{field}" if nested[row] else field
                reader.problem(int(lines[row]), name, "out_of_range", f"{float(values[row])!r} is not in [0, 1]")


def _read(
    path: str | os.PathLike[str],
    *,
    judge_field: str,
    oracle_field: str,
    targets: Sequence[str] | None,
    repeated_prompts: RepeatedPrompts,
    keep_extras: bool,
) -> _Reader:
    reader = _Reader(
        judge_field=judge_field,
        oracle_field=oracle_field,
        wanted_targets=None if targets is None else frozenset(targets),
        repeated_prompts=repeated_prompts,
        keep_extras=keep_extras,
    )
    try:
        with open(path, "rb") as handle:
            reader.read(handle)
    except OSError as error:
        reader.problem(FILE_LINE, "<file>", "unreadable_file", f"{type(error).__name__}: {error.strerror or error}")
        return reader
    if not reader.prompt_ids:
        reader.problem(FILE_LINE, "<file>", "empty_file", "no rows")
    elif not reader.targets:
        reader.problem(FILE_LINE, "target_policy_logprobs", "no_target_policies", "no row names a target policy")
    for builder in reader.targets.values():
        builder.pad(len(reader.prompt_ids))
    _check_values(reader)
    reader.problems.sort()
    return reader


def find_problems(
    path: str | os.PathLike[str],
    *,
    judge_field: str = "judge_score",
    oracle_field: str = "oracle_label",
    repeated_prompts: RepeatedPrompts = "error",
) -> tuple[RowProblem, ...]:
    """Every problem of the file, sorted by line: empty when it loads cleanly."""
    reader = _read(
        path,
        judge_field=judge_field,
        oracle_field=oracle_field,
        targets=None,
        repeated_prompts=repeated_prompts,
        keep_extras=False,
    )
    return tuple(reader.problems)


def load_dataset(
    path: str | os.PathLike[str],
    *,
    strict: bool = True,
    targets: Sequence[str] | None = None,
    judge_field: str = "judge_score",
    oracle_field: str = "oracle_label",
    repeated_prompts: RepeatedPrompts = "error",
    keep_extras: bool = True,
) -> Result[Dataset, DataErrors]:
    """Read a CJE JSONL file into a ``Dataset``, or every problem it has.

    ``targets`` keeps only those target policies (default: every one seen).
    ``strict=False`` drops bad rows instead of failing; each is counted by its
    first problem in ``Dataset.dropped`` and listed in ``Dataset.problems``.
    A bad log prob does not drop its row: that cell becomes missing (reason
    ``invalid_log_prob`` or ``wrong_type``) and the problem is still listed.
    A file that cannot be read, is empty or names no target fails either way.
    """
    reader = _read(
        path,
        judge_field=judge_field,
        oracle_field=oracle_field,
        targets=targets,
        repeated_prompts=repeated_prompts,
        keep_extras=keep_extras,
    )
    errors = DataErrors(path=os.fspath(path), n_lines=reader.n_lines, problems=tuple(reader.problems))
    fatal = any(problem.line == FILE_LINE for problem in reader.problems)
    if fatal or (strict and reader.problems):
        return Failure(errors)
    return Success(with_status_reasons(_build(reader, os.fspath(path))))


def _cell_column(reader: _Reader, problem: RowProblem) -> _FloatBuilder | None:
    """The log-prob column a problem is confined to (None: the problem is about the row)."""
    if problem.kind not in _CELL_KINDS:
        return None
    if problem.field == "base_policy_logprob":
        return reader.base
    prefix = "target_policy_logprobs."
    if problem.field.startswith(prefix):
        # a target left out by ``targets=`` has no column: its problem costs nothing here
        return reader.targets.get(problem.field.removeprefix(prefix), _FloatBuilder())
    return None


def _build(reader: _Reader, source: str) -> Dataset:
    lines = np.concatenate(reader.lines) if reader.lines else np.zeros(0, dtype=np.int64)
    first_kind: dict[int, str] = {}
    for problem in reader.problems:
        builder = _cell_column(reader, problem)
        if builder is None:
            first_kind.setdefault(problem.line, problem.kind)
        elif builder.length:
            values, codes = builder.arrays()
            row = int(np.searchsorted(lines, problem.line))
            codes[row], values[row] = _CELL_KINDS[problem.kind], math.nan
    keep = ~np.isin(lines, np.fromiter(first_kind, dtype=np.int64, count=len(first_kind)))
    dropped: dict[str, int] = {}
    for kind in first_kind.values():
        dropped[kind] = dropped.get(kind, 0) + 1

    def column(builder: _FloatBuilder, reasons: tuple[str, ...]) -> MaskedColumn:
        values, codes = builder.arrays()
        return MaskedColumn(values=values[keep], codes=codes[keep], reasons=reasons)

    if keep.all():
        prompt_ids = tuple(reader.prompt_ids)
        clusters = np.concatenate(reader.clusters)
        hashes = hash_ids(list(reader.cluster_of))
    else:
        prompt_ids = tuple(pid for pid, kept in zip(reader.prompt_ids, keep.tolist(), strict=True) if kept)
        clusters, hashes = factorize(prompt_ids)
    return Dataset(
        source=source,
        prompt_ids=prompt_ids,
        lines=lines[keep],
        base=column(reader.base, _REASONS),
        targets={name: column(builder, _REASONS) for name, builder in sorted(reader.targets.items())},
        judge=column(reader.judge, _REASONS),
        oracle=column(reader.oracle, _REASONS),
        response_length=np.concatenate(reader.lengths)[keep],
        clusters=clusters,
        cluster_hashes=hashes,
        extras={
            name: tuple(value for value, kept in zip(values, keep.tolist(), strict=True) if kept)
            for name, values in reader.extras.items()
            if reader.keep_extras
        },
        dropped=dropped,
        problems=tuple(reader.problems),
    )


#: The per-cell status ``cje-fp score`` writes: policy -> "ok" or the failure kind.
STATUS_FIELD: Final = "logprob_status"
_STATUS: Final = msgspec.json.Decoder(dict[str, str])


def _recoded(column: MaskedColumn, kinds: Sequence[str | None]) -> MaskedColumn:
    reasons = list(column.reasons)
    codes = column.codes.copy()
    for row, kind in enumerate(kinds):
        if kind is not None and kind != "ok" and reasons[codes[row]] == "null":
            if kind not in reasons:
                reasons.append(kind)
            codes[row] = reasons.index(kind)
    return MaskedColumn(values=column.values, codes=codes, reasons=tuple(reasons))


def with_status_reasons(dataset: Dataset) -> Dataset:
    """A null log prob whose row records why (``logprob_status``, as ``cje-fp score`` writes
    it) is missing for that reason (e.g. ``timeout``) instead of plain ``null``."""
    raw = dataset.extras.get(STATUS_FIELD)
    if raw is None:
        return dataset
    statuses: list[dict[str, str]] = []
    for value in raw:
        try:
            statuses.append(_STATUS.decode(value) if value is not None else {})
        except msgspec.DecodeError:
            statuses.append({})

    def kinds(policy: str) -> list[str | None]:
        return [status.get(policy) for status in statuses]

    base_name = next((name for status in statuses for name in status if name not in dataset.targets), None)
    return attrs.evolve(
        dataset,
        base=_recoded(dataset.base, kinds(base_name)) if base_name is not None else dataset.base,
        targets={name: _recoded(column, kinds(name)) for name, column in dataset.targets.items()},
    )


# Writing -----------------------------------------------------------------------------


class _Row(msgspec.Struct, omit_defaults=True):
    """One row in the incumbent's format."""

    prompt: str
    response: str
    base_policy_logprob: float | None
    target_policy_logprobs: dict[str, float | None]
    metadata: dict[str, str]
    judge_score: float | None = None
    oracle_label: float | None = None


def write_jsonl(
    path: str | os.PathLike[str],
    dataset: Dataset,
    *,
    prompts: Callable[[int], str],
    responses: Callable[[int], str],
) -> int:
    """Write ``dataset`` in the CJE JSONL format; the text of row i comes from the callables.

    Missing cells are written as JSON null. Returns the number of rows written.
    """
    encoder = msgspec.json.Encoder()

    def cell(column: MaskedColumn, row: int) -> float | None:
        return float(column.values[row]) if column.codes[row] == 0 else None

    with open(path, "wb") as handle:
        for row in range(dataset.n_rows):
            record = _Row(
                prompt=prompts(row),
                response=responses(row),
                base_policy_logprob=cell(dataset.base, row),
                target_policy_logprobs={name: cell(column, row) for name, column in dataset.targets.items()},
                metadata={"prompt_id": dataset.prompt_ids[row]},
                judge_score=cell(dataset.judge, row),
                oracle_label=cell(dataset.oracle, row),
            )
            handle.write(encoder.encode(record))
            handle.write(b"\n")
    return dataset.n_rows
