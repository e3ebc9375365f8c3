"""What the importers share: the rows they make, what they skipped and why, and how a score reads.

An importer turns another tool's per-sample log into CJE JSONL rows ready for
``cje-fp score``: ``prompt_id``, ``prompt``, ``response``, optionally ``judge_score``
and ``oracle_label``, and ``metadata`` with what the source said. A record that
cannot become a row (no generated text, a multi-turn input) is skipped with its
reason, never guessed; a file that yields no row at all is an ``ImportFailed``.

>>> score_value("C"), score_value(True), score_value(0.25), score_value("maybe")
(1.0, 1.0, 0.25, None)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final, final

import attrs
from returns.result import Failure, Result, Success

#: Inspect AI's letter scores (``CORRECT``, ``INCORRECT``, ``PARTIAL``, ``NOANSWER``) as numbers,
#: the same mapping as its ``value_to_float``.
LETTER_SCORES: Final = {"C": 1.0, "I": 0.0, "P": 0.5, "N": 0.0}


@final
@attrs.frozen(kw_only=True)
class SkippedRecord:
    """A record of the source that became no row, and why."""

    where: str
    reason: str

    def describe(self) -> str:
        """One line for humans."""
        return f"{self.where}: {self.reason}"


@final
@attrs.frozen(kw_only=True)
class Imported:
    """The CJE rows an importer made from ``source``, and the records it skipped."""

    source: str
    rows: tuple[Mapping[str, object], ...]
    skipped: tuple[SkippedRecord, ...] = ()


@final
@attrs.frozen(kw_only=True)
class ImportFailed:
    """The file could not be imported at all (unreadable, not the format, or no usable record)."""

    path: str
    reason: str
    skipped: tuple[SkippedRecord, ...] = ()

    def describe(self) -> str:
        """One line for humans."""
        return f"{self.path}: {self.reason}"


def score_value(value: object) -> float | None:
    """A score as a number: numbers and booleans as they are, Inspect's letters mapped; else ``None``."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        return LETTER_SCORES.get(value.strip().upper())
    return None


def cje_row(
    *,
    prompt_id: str,
    prompt: str,
    response: str,
    judge_score: float | None,
    oracle_label: float | None,
    metadata: Mapping[str, object],
) -> dict[str, object]:
    """One CJE JSONL row (the scores only when present)."""
    row: dict[str, object] = {"prompt_id": prompt_id, "prompt": prompt, "response": response}
    if judge_score is not None:
        row["judge_score"] = judge_score
    if oracle_label is not None:
        row["oracle_label"] = oracle_label
    row["metadata"] = dict(metadata)
    return row


def finished(
    source: str, rows: Sequence[Mapping[str, object]], skipped: Sequence[SkippedRecord]
) -> Result[Imported, ImportFailed]:
    """``Imported``, or ``ImportFailed`` when no record became a row."""
    if not rows:
        first = f" (first: {skipped[0].describe()})" if skipped else ""
        return Failure(ImportFailed(path=source, reason=f"no record could be imported{first}", skipped=tuple(skipped)))
    return Success(Imported(source=source, rows=tuple(rows), skipped=tuple(skipped)))


def write_rows(path: str | os.PathLike[str], rows: Sequence[Mapping[str, object]]) -> None:
    """Write ``rows`` as JSONL (UTF-8, one object a line), creating the folder."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, allow_nan=False) + "\n")
