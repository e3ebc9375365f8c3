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

import math
import os
from collections.abc import Sequence

import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import (
    FILE_LINE,
    DataErrors,
    Dataset,
    MaskedColumn,
    RowProblem,
    factorize,
    hash_ids,
)
from cje_fp.io._columns import CELL_KINDS, REASONS, FloatBuilder
from cje_fp.io._reader import Reader, RepeatedPrompts, read_columns
from cje_fp.io._status import with_status_reasons


def find_problems(
    path: str | os.PathLike[str],
    *,
    judge_field: str = "judge_score",
    oracle_field: str = "oracle_label",
    repeated_prompts: RepeatedPrompts = "error",
) -> tuple[RowProblem, ...]:
    """Every problem of the file, sorted by line: empty when it loads cleanly."""
    reader = read_columns(
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
    """Read a CJE JSONL file (or Parquet: a ``.parquet`` path) into a ``Dataset``, or every problem it has.

    ``targets`` keeps only those target policies (default: every one seen).
    ``strict=False`` drops bad rows instead of failing; each is counted by its
    first problem in ``Dataset.dropped`` and listed in ``Dataset.problems``.
    A bad log prob does not drop its row: that cell becomes missing (reason
    ``invalid_log_prob`` or ``wrong_type``) and the problem is still listed.
    A file that cannot be read, is empty or names no target fails either way.
    """
    reader = read_columns(
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


def _cell_column(reader: Reader, problem: RowProblem) -> FloatBuilder | None:
    """The log-prob column a problem is confined to (None: the problem is about the row)."""
    if problem.kind not in CELL_KINDS:
        return None
    if problem.field == "base_policy_logprob":
        return reader.base
    prefix = "target_policy_logprobs."
    if problem.field.startswith(prefix):
        # a target left out by ``targets=`` has no column: its problem costs nothing here
        return reader.targets.get(problem.field.removeprefix(prefix), FloatBuilder())
    return None


def _build(reader: Reader, source: str) -> Dataset:
    lines = np.concatenate(reader.lines) if reader.lines else np.zeros(0, dtype=np.int64)
    first_kind: dict[int, str] = {}
    for problem in reader.problems:
        builder = _cell_column(reader, problem)
        if builder is None:
            first_kind.setdefault(problem.line, problem.kind)
        elif builder.length:
            values, codes = builder.arrays()
            row = int(np.searchsorted(lines, problem.line))
            codes[row], values[row] = CELL_KINDS[problem.kind], math.nan
    keep = ~np.isin(lines, np.fromiter(first_kind, dtype=np.int64, count=len(first_kind)))
    dropped: dict[str, int] = {}
    for kind in first_kind.values():
        dropped[kind] = dropped.get(kind, 0) + 1

    def column(builder: FloatBuilder, reasons: tuple[str, ...]) -> MaskedColumn:
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
        base=column(reader.base, REASONS),
        targets={name: column(builder, REASONS) for name, builder in sorted(reader.targets.items())},
        judge=column(reader.judge, REASONS),
        oracle=column(reader.oracle, REASONS),
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
