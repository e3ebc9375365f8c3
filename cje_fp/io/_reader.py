"""Reading a CJE JSONL file into columns: the fast path per chunk, the slow path per bad line.

``read_columns`` streams the file once. Well-formed rows decode into typed
structs (``cje_fp.io._schema``) and their columns are extracted a chunk at a
time; a rejected line is checked field by field (``cje_fp.io._cells``), its
problems reported, and its usable cells kept. Value checks (log probs finite and
<= 0, scores in [0, 1]) then run vectorised over whole columns.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any, Final, Literal, TypeAlias

import attrs
import msgspec
import numpy as np

from cje_fp.data import FILE_LINE, IntArray, ProblemKind, RowProblem
from cje_fp.io._cells import describe_log_prob, slow_record
from cje_fp.io._columns import FloatBuilder
from cje_fp.io._json_text import BOM, duplicate_key
from cje_fp.io._key_counts import flagged
from cje_fp.io._parquet import is_parquet, parquet_lines
from cje_fp.io._problems import Silent
from cje_fp.io._prompt_ids import (
    EMPTY_ID,
    ID_FIELD,
    hashed_prompt_id,
    repeated_id_reason,
)
from cje_fp.io._schema import QUOTE, UNSET, Schema, first_set, nested_wins

RepeatedPrompts: TypeAlias = Literal["error", "cluster"]
"""Rows sharing a prompt id: a ``duplicate_prompt_id`` problem, or one cluster."""

_STR: Final = msgspec.json.Decoder(str)

#: Rows decoded before their columns are extracted (bounds the memory of a chunk).
_CHUNK: Final = 16384


@attrs.define
class Reader:
    """Accumulates columns and problems, a chunk of rows at a time."""

    judge_field: str
    oracle_field: str
    wanted_targets: frozenset[str] | None
    repeated_prompts: RepeatedPrompts
    keep_extras: bool
    prompt_ids: list[str] = attrs.field(factory=list)
    lines: list[IntArray] = attrs.field(factory=list)
    lengths: list[IntArray] = attrs.field(factory=list)
    base: FloatBuilder = attrs.field(factory=FloatBuilder)
    judge: FloatBuilder = attrs.field(factory=FloatBuilder)
    oracle: FloatBuilder = attrs.field(factory=FloatBuilder)
    targets: dict[str, FloatBuilder] = attrs.field(factory=dict)
    extras: dict[str, list[bytes | None]] = attrs.field(factory=dict)
    problems: list[RowProblem] = attrs.field(factory=list)
    cluster_of: dict[str, int] = attrs.field(factory=dict)
    first_lines: list[int] = attrs.field(factory=list)
    clusters: list[IntArray] = attrs.field(factory=list)
    n_lines: int = 0
    schema: Schema | None = None

    def problem(self, line: int, field: str, kind: ProblemKind, reason: str) -> None:
        """Record one problem (the reader is its own ``ProblemSink``)."""
        self.problems.append(RowProblem(line=line, field=field, kind=kind, reason=reason))

    def read(self, handle: Iterable[bytes]) -> None:
        """Every line of ``handle``: the fast path, else the slow path and a wider schema."""
        schema = self.schema = Schema.build(self.judge_field, self.oracle_field, [])
        decode = schema.decoder.decode
        records: list[Any] = []
        numbers: list[int] = []
        texts: list[bytes | None] = []
        number = 0
        for number, line in enumerate(handle, start=1):
            if line.startswith(BOM):
                line = line[3:]
            if not line or line.isspace():
                continue
            text: bytes | None = line
            try:
                if not line.isascii():
                    line.decode()  # invalid UTF-8 in a string msgspec keeps raw is still invalid JSON
                record = decode(line)
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError) as error:
                text = None  # the slow path checks the line for repeated keys itself
                record, names = slow_record(
                    self, number, line, error, schema, judge_field=self.judge_field, oracle_field=self.oracle_field
                )
                new_names = [name for name in names if name not in self.extras]
                if new_names:
                    self._columns(records, numbers, texts, schema)
                    records, numbers, texts = [], [], []
                    for name in new_names:
                        self.extras[name] = [None] * len(self.prompt_ids)
                    schema = self.schema = Schema.build(self.judge_field, self.oracle_field, list(self.extras))
                    decode = schema.decoder.decode
                    record, _ = slow_record(
                        Silent(), number, line, error, schema, judge_field=self.judge_field, oracle_field=self.oracle_field
                    )
                if record is None:
                    continue
            records.append(record)
            numbers.append(number)
            texts.append(text)
            if len(records) >= _CHUNK:
                self._columns(records, numbers, texts, schema)
                records, numbers, texts = [], [], []
        self.n_lines = number
        self._columns(records, numbers, texts, schema)

    def _columns(self, records: list[Any], numbers: list[int], texts: list[bytes | None], schema: Schema) -> None:
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
        not_text = np.flatnonzero(first_bytes != QUOTE * 257)
        for index in not_text.tolist():
            record, number = records[index], numbers[index]
            for name in ("prompt", "response"):
                if memoryview(getattr(record, name))[0] != QUOTE:
                    self.problem(number, name, "wrong_type", "expected a string")
        self.lengths.append(np.array([len(record.response) - 2 for record in records], dtype=np.int64))
        empty = schema.metadata()
        metas = [empty if record.metadata is UNSET else record.metadata for record in records]
        for index in flagged(records, metas, texts, schema):
            repeated = duplicate_key(texts[index] or b"")
            if repeated is not None:
                self.problem(numbers[index], repeated[0], "duplicate_key", repeated[1])
        self._identify(records, metas, numbers)
        self.base.extend([record.base_policy_logprob for record in records])
        self.judge.extend(
            [r.judge if r.judge.__class__ is float else first_set(r.judge, m.judge) for r, m in zip(records, metas, strict=True)]
        )
        self.judge.from_metadata.append(
            [r.judge.__class__ is not float and nested_wins(r.judge, m.judge) for r, m in zip(records, metas, strict=True)]
        )
        self.oracle.extend(
            [
                r.oracle if r.oracle.__class__ is float else first_set(r.oracle, m.oracle)
                for r, m in zip(records, metas, strict=True)
            ]
        )
        self.oracle.from_metadata.append(
            [r.oracle.__class__ is not float and nested_wins(r.oracle, m.oracle) for r, m in zip(records, metas, strict=True)]
        )
        self._target_columns(records, start)
        for name, under_metadata, attribute in schema.extras:
            sources = metas if under_metadata else records
            values = [getattr(source, attribute) for source in sources]
            self.extras[name].extend(None if value is UNSET else bytes(value) for value in values)


    def _identify(self, records: list[Any], metas: list[Any], numbers: list[int]) -> None:
        """Each record's prompt id and cluster; a bad or repeated id is a problem on its line."""
        ids = [
            r.prompt_id if r.prompt_id.__class__ is str
            else (m.prompt_id if r.prompt_id is UNSET and m.prompt_id.__class__ is str else self._prompt_id(r, m))
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

    def _target_columns(self, records: list[Any], start: int) -> None:
        """Extend every target's column; a target first seen here is padded back to ``start``."""
        maps = [{} if record.target_policy_logprobs is UNSET else record.target_policy_logprobs for record in records]
        names: set[str] = set().union(*maps)
        if self.wanted_targets is not None:
            names &= self.wanted_targets
        for name in sorted(names - self.targets.keys()):
            self.targets[name] = FloatBuilder()
            self.targets[name].pad(start)
        for name, builder in self.targets.items():
            builder.extend([mapping.get(name, UNSET) for mapping in maps])

    def _prompt_id(self, record: Any, meta: Any) -> str:
        prompt_id = record.prompt_id
        if prompt_id is UNSET:
            prompt_id = meta.prompt_id
        if prompt_id is UNSET:
            prompt = _STR.decode(record.prompt) if memoryview(record.prompt)[0] == QUOTE else ""
            return hashed_prompt_id(prompt)
        return str(prompt_id)

    def _bad_id(self, number: int, prompt_id: str, first: int) -> None:
        if number == first and prompt_id:
            return
        if not prompt_id:
            self.problem(number, EMPTY_ID.field, "wrong_type", EMPTY_ID.reason)
        elif self.repeated_prompts == "error":
            self.problem(number, ID_FIELD, "duplicate_prompt_id", repeated_id_reason(prompt_id, first))


def _check_values(reader: Reader) -> None:
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
            reader.problem(int(lines[row]), field, "invalid_log_prob", describe_log_prob(float(values[row])))
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


def read_columns(
    path: str | os.PathLike[str],
    *,
    judge_field: str,
    oracle_field: str,
    targets: Sequence[str] | None,
    repeated_prompts: RepeatedPrompts,
    keep_extras: bool,
) -> Reader:
    reader = Reader(
        judge_field=judge_field,
        oracle_field=oracle_field,
        wanted_targets=None if targets is None else frozenset(targets),
        repeated_prompts=repeated_prompts,
        keep_extras=keep_extras,
    )
    try:
        if is_parquet(path):
            reader.read(parquet_lines(path))  # the same checks, row by row
        else:
            with open(path, "rb") as handle:
                reader.read(handle)
    except OSError as error:  # UnreadableParquet is one
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
