"""Load fresh draws and probe slices (CJE's layout), reporting every problem by file, line and field.

Fresh draws: ``<dir>/<policy>_responses.jsonl``, one row per response sampled
from ``policy`` and judged: ``prompt_id`` (string or integer), ``judge_score``
in [0, 1], ``draw_idx`` (integer, default 0), optional ``oracle_label`` in [0, 1]
(``prompt`` and ``response`` are not read). ``base_responses.jsonl`` holds the
base policy's draws. Probe slices: ``<dir>/<policy>_probe.jsonl``, the same
fields with ``oracle_label`` on every row.

Problems (each a ``RowProblem`` in the file's ``DataErrors``): bad JSON, a
missing or mistyped field, a judge or oracle score outside [0, 1], a repeated
``(prompt_id, draw_idx)`` (``duplicate_draw``), a probe row without an oracle
label (``missing_oracle_label``), and a file named after a policy that is
neither a target nor the base (``unknown_policy``, on line 0). A prompt id
absent from the logged data is not a problem: it is counted
(``DrawTable.n_unlogged_prompts``) and its draws still serve the direct term.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     with open(os.path.join(folder, "t_responses.jsonl"), "w") as handle:
...         _ = handle.write('{"prompt_id": "a", "judge_score": 0.5}\\n{"prompt_id": "b", "judge_score": 1.5}\\n'
...                          '{"prompt_id": "a", "judge_score": 0.2}\\n')
...     loaded = load_draw_directory(folder, kind="fresh", policies=("t",), logged_prompts=None)
>>> for problem in loaded.alt(lambda errors: errors[0].problems).swap().value_or(()):
...     print(problem.describe())
line 2: judge_score: out_of_range: 1.5 is not in [0, 1]
line 3: prompt_id: duplicate_draw: ('a', 0) already on line 1
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Final, Literal, TypeAlias

import attrs
import msgspec
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import FILE_LINE, DataErrors, FloatArray, IntArray, RowProblem
from cje_fp.errors import sealed
from cje_fp.io._cells import parse_object, python_value
from cje_fp.io._json_text import duplicate_key, without_bom
from cje_fp.io._key_counts import flagged_draws
from cje_fp.io._problems import ProblemList

DrawKind: TypeAlias = Literal["fresh", "probe"]

#: The file name suffix of each kind of draw file.
SUFFIX: Final[Mapping[DrawKind, str]] = {"fresh": "_responses.jsonl", "probe": "_probe.jsonl"}

#: The policy name of the base policy's draws.
BASE_DRAWS: Final = "base"


_NO_RESPONSE: Final = msgspec.Raw(b"")
_QUOTE: Final = ord('"')
_UNSET: Final = msgspec.UNSET


class _Row(msgspec.Struct):
    """A draw as read; a field left out stays unset (so that the keys of a line can be counted)."""

    prompt_id: str | int
    judge_score: float
    draw_idx: int | msgspec.UnsetType = _UNSET
    oracle_label: float | msgspec.UnsetType | None = _UNSET
    response: msgspec.Raw | msgspec.UnsetType = _UNSET
    """The response as raw JSON (only its length is used; absent or not a string: length 0)."""
    prompt: msgspec.Raw | msgspec.UnsetType = _UNSET
    """Not used; read as raw JSON so that the line's keys can be counted."""

    @property
    def response_length(self) -> int:
        """Bytes of the response's JSON string without its quotes (as the logged-data loader counts)."""
        raw = self.response
        if raw is _UNSET:
            return 0
        return len(raw) - 2 if len(raw) >= 2 and memoryview(raw)[0] == _QUOTE else 0


_DECODER: Final = msgspec.json.Decoder(_Row)


@attrs.frozen(kw_only=True, eq=False)
class DrawTable:
    """One policy's draws (or probe rows) as columns."""

    policy: str
    source: str
    prompt_ids: tuple[str, ...]
    draw_idx: IntArray
    lines: IntArray
    judge: FloatArray
    oracle: FloatArray
    """NaN where a row has no oracle label."""
    response_length: IntArray
    """Bytes of each response's JSON string (0 without a response), a calibration covariate."""
    n_unlogged_prompts: int = 0
    """Distinct prompt ids absent from the logged data (their draws still count for the direct term)."""

    @property
    def n_rows(self) -> int:
        """Draws."""
        return len(self.prompt_ids)

    @property
    def labelled(self) -> np.ndarray[tuple[int], np.dtype[np.bool_]]:
        """Rows with an oracle label."""
        present: np.ndarray[tuple[int], np.dtype[np.bool_]] = ~np.isnan(self.oracle)
        return present


def _score(value: object, field: str, line: int, problems: list[RowProblem], required: bool) -> float | None:
    if value is None:
        if required:
            problems.append(RowProblem(line=line, field=field, kind="missing_field", reason=f"{field} is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.append(RowProblem(line=line, field=field, kind="wrong_type", reason=f"expected a number, got {value!r}"))
        return None
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 1.0):
        problems.append(RowProblem(line=line, field=field, kind="out_of_range", reason=f"{number!r} is not in [0, 1]"))
        return None
    return number


def _slow_row(line: int, text: bytes, problems: list[RowProblem]) -> _Row | None:
    """Check a line the typed decoder rejected, field by field."""
    sink = ProblemList()
    fields = parse_object(sink, line, text)
    problems.extend(sink.problems)
    if fields is None:
        return None
    value = {name: python_value(raw) for name, raw in fields.items()}
    found = len(problems)
    prompt_id = value.get("prompt_id")
    if prompt_id is None:
        problems.append(RowProblem(line=line, field="prompt_id", kind="missing_field", reason="prompt_id is required"))
    elif isinstance(prompt_id, bool) or not isinstance(prompt_id, str | int) or prompt_id == "":
        problems.append(RowProblem(line=line, field="prompt_id", kind="wrong_type", reason=f"bad prompt_id {prompt_id!r}"))
    judge = _score(value.get("judge_score"), "judge_score", line, problems, required=True)
    oracle = _score(value.get("oracle_label"), "oracle_label", line, problems, required=False)
    draw_idx = value.get("draw_idx", 0)
    if isinstance(draw_idx, bool) or not isinstance(draw_idx, int):
        reason = f"expected an integer, got {draw_idx!r}"
        problems.append(RowProblem(line=line, field="draw_idx", kind="wrong_type", reason=reason))
    if len(problems) > found or judge is None or not isinstance(prompt_id, str | int) or not isinstance(draw_idx, int):
        return None
    response = value.get("response")
    raw = msgspec.Raw(msgspec.json.encode(response)) if isinstance(response, str) else _NO_RESPONSE
    return _Row(prompt_id=prompt_id, judge_score=judge, draw_idx=draw_idx, oracle_label=oracle, response=raw)


#: Lines decoded at once (a chunk with a bad line is re-read line by line).
_CHUNK: Final = 16384


@attrs.define
class _Columns:
    """Draw columns under construction, with the source line of each row."""

    prompt_ids: list[str] = attrs.field(factory=list)
    draw_idx: list[int] = attrs.field(factory=list)
    judge: list[float] = attrs.field(factory=list)
    oracle: list[float] = attrs.field(factory=list)
    lengths: list[int] = attrs.field(factory=list)
    lines: list[int] = attrs.field(factory=list)

    def extend(self, rows: list[_Row], numbers: list[int]) -> None:
        nan = math.nan
        self.prompt_ids.extend([str(row.prompt_id) for row in rows])
        self.draw_idx.extend([0 if row.draw_idx is _UNSET else row.draw_idx for row in rows])
        self.judge.extend([row.judge_score for row in rows])
        self.oracle.extend([nan if row.oracle_label is None or row.oracle_label is _UNSET else row.oracle_label
                            for row in rows])
        self.lengths.extend([row.response_length for row in rows])
        self.lines.extend(numbers)


def _check_keys(number: int, text: bytes, problems: list[RowProblem]) -> None:
    """A ``duplicate_key`` problem if the line repeats a key."""
    found = duplicate_key(text)
    if found is not None:
        problems.append(RowProblem(line=number, field=found[0], kind="duplicate_key", reason=found[1]))


def _read_chunk(chunk: list[bytes], numbers: list[int], columns: _Columns, problems: list[RowProblem]) -> None:
    """Decode a chunk of lines at once; on any error, line by line with every problem reported.

    A line that may repeat a key (``cje_fp.io._key_counts``) is checked exactly.
    """
    if not chunk:
        return
    blob = b"".join(chunk)
    try:
        if not blob.isascii():
            blob.decode()  # invalid UTF-8 in a string msgspec keeps raw is still invalid JSON
        rows: list[_Row] = _DECODER.decode_lines(blob)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        rows = []
    if len(rows) == len(chunk):
        for index in flagged_draws(rows, chunk):
            _check_keys(numbers[index], chunk[index], problems)
        columns.extend(rows, numbers)
        return
    for number, text in zip(numbers, chunk, strict=True):
        row = _one_line(number, text, problems)
        if row is not None:
            columns.extend([row], [number])


def _one_line(number: int, text: bytes, problems: list[RowProblem]) -> _Row | None:
    """One line: the typed decoder, else the slow path; its problems reported."""
    try:
        if not text.isascii():
            text.decode()
        row: _Row = _DECODER.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError, RecursionError):
        return _slow_row(number, text, problems)
    if flagged_draws([row], [text]):
        _check_keys(number, text, problems)
    return row


def _value_problems(columns: _Columns, kind: DrawKind, problems: list[RowProblem]) -> None:
    """Scores outside [0, 1], probe rows without a label and repeated (prompt_id, draw_idx)."""
    lines = np.array(columns.lines, dtype=np.int64)
    judge = np.array(columns.judge, dtype=np.float64)
    oracle = np.array(columns.oracle, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad_judge = ~((judge >= 0.0) & (judge <= 1.0))
        bad_oracle = ~np.isnan(oracle) & ~((oracle >= 0.0) & (oracle <= 1.0))
    for row in np.flatnonzero(bad_judge):
        _score(float(judge[row]), "judge_score", int(lines[row]), problems, required=True)
    for row in np.flatnonzero(bad_oracle):
        _score(float(oracle[row]), "oracle_label", int(lines[row]), problems, required=False)
    if kind == "probe":
        for row in np.flatnonzero(np.isnan(oracle)):
            problems.append(RowProblem(line=int(lines[row]), field="oracle_label", kind="missing_oracle_label",
                                       reason="every probe row needs an oracle label"))
    keys = list(zip(columns.prompt_ids, columns.draw_idx, strict=True))
    if len(set(keys)) == len(keys):
        return
    seen: dict[tuple[str, int], int] = {}
    for key, line in zip(keys, columns.lines, strict=True):
        first = seen.setdefault(key, line)
        if first != line:
            problems.append(RowProblem(line=line, field="prompt_id", kind="duplicate_draw",
                                       reason=f"{key} already on line {first}"))


def load_draw_file(
    path: str | os.PathLike[str],
    policy: str,
    *,
    kind: DrawKind = "fresh",
    logged_prompts: Collection[str] | None = None,
) -> Result[DrawTable, DataErrors]:
    """Read one draw file into a ``DrawTable``, or every problem it has."""
    problems: list[RowProblem] = []
    columns = _Columns()
    n_lines = 0
    try:
        with open(path, "rb") as handle:
            chunk: list[bytes] = []
            numbers: list[int] = []
            for n_lines, text in enumerate(map(without_bom, handle), start=1):
                if text.strip():
                    chunk.append(text)
                    numbers.append(n_lines)
                if len(chunk) >= _CHUNK:
                    _read_chunk(chunk, numbers, columns, problems)
                    chunk, numbers = [], []
            _read_chunk(chunk, numbers, columns, problems)
    except OSError as error:
        problems.append(RowProblem(line=FILE_LINE, field="<file>", kind="unreadable_file", reason=str(error)))
    _value_problems(columns, kind, problems)
    if not columns.prompt_ids and not problems:
        problems.append(RowProblem(line=FILE_LINE, field="<file>", kind="empty_file", reason="no rows"))
    if problems:
        return Failure(DataErrors(path=os.fspath(path), n_lines=n_lines, problems=tuple(sorted(problems))))
    unlogged = 0 if logged_prompts is None else len(set(columns.prompt_ids) - set(logged_prompts))
    return Success(
        DrawTable(
            policy=policy,
            source=os.fspath(path),
            prompt_ids=tuple(columns.prompt_ids),
            draw_idx=np.array(columns.draw_idx, dtype=np.int64),
            lines=np.array(columns.lines, dtype=np.int64),
            judge=np.array(columns.judge, dtype=np.float64),
            oracle=np.array(columns.oracle, dtype=np.float64),
            response_length=np.array(columns.lengths, dtype=np.int64),
            n_unlogged_prompts=unlogged,
        )
    )


def draw_files(directory: str | os.PathLike[str], kind: DrawKind) -> dict[str, Path]:
    """Policy -> file of the draw files in ``directory`` (by the name pattern of ``kind``)."""
    suffix = SUFFIX[kind]
    folder = Path(directory)
    if not folder.is_dir():
        return {}
    return {
        path.name.removesuffix(suffix): path
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name.endswith(suffix) and path.name != suffix
    }


def load_draw_directory(
    directory: str | os.PathLike[str],
    *,
    kind: DrawKind,
    policies: Collection[str],
    logged_prompts: Collection[str] | None,
) -> Result[dict[str, DrawTable], tuple[DataErrors, ...]]:
    """Every draw file of ``directory``: policy -> table, or the problems of every bad file.

    ``policies`` are the names a file may carry (the targets, plus ``base`` for
    fresh draws); any other name is an ``unknown_policy`` problem of that file.
    """
    known = set(policies) | ({BASE_DRAWS} if kind == "fresh" else set())
    logged = None if logged_prompts is None else frozenset(logged_prompts)
    tables: dict[str, DrawTable] = {}
    errors: list[DataErrors] = []
    for policy, path in draw_files(directory, kind).items():
        if policy not in known:
            problem = RowProblem(line=FILE_LINE, field="<file>", kind="unknown_policy",
                                 reason=f"{policy!r} is neither a target policy {sorted(set(policies))} nor the base")
            errors.append(DataErrors(path=os.fspath(path), n_lines=0, problems=(problem,)))
            continue
        match sealed(load_draw_file(path, policy, kind=kind, logged_prompts=logged)):
            case Success(table):
                tables[policy] = table
            case Failure(problems):
                errors.append(problems)
    if errors:
        return Failure(tuple(errors))
    return Success(tables)

