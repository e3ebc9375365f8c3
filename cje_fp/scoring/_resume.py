"""Where a scoring run starts: the input rows, and which cells the output file already holds.

``plan_run`` reads the input through ``cje_fp.io.read_input`` and the output
through the journal (``cje_fp.scoring._checkpoint``), and keeps the stored cells
that still stand: those whose key is the current row's text under the policy's
current fingerprint (``cje_fp.scoring._scored_rows.stored_cells``). Nothing is
written here: an output file that is not ours (a line without a status, the input
itself), or that holds rows of other data, is refused before it is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import attrs
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.io import STATUS_FIELD, InputRow, read_input
from cje_fp.policy import LogProbResult
from cje_fp.scoring._checkpoint import CorruptJournal, ReadRows, read_rows
from cje_fp.scoring._config import ScoreConfig
from cje_fp.scoring._errors import (
    DataNotFound,
    ForeignOutput,
    InputRejected,
    OutputOfOtherData,
    ScoringError,
    StoredCellUnreadable,
)
from cje_fp.scoring._fingerprints import resume_notes
from cje_fp.scoring._scored_rows import ID_FIELD, resumable, stored_cells


@attrs.frozen(kw_only=True)
class ResumePlan:
    """The input rows, the cells already done per row id, and what resuming repaired."""

    out: Path
    policies: tuple[str, ...]
    rows: tuple[InputRow, ...]
    known: Mapping[str, Mapping[str, LogProbResult]]
    resumed: bool
    torn_tail_bytes: int
    complete_bytes: int
    """Where the output's complete lines end: a torn line after it is cut before appending."""
    notes: tuple[str, ...] = ()
    """What resuming found changed (stale cells recomputed, policies dropped), one line each."""

    @property
    def skipped(self) -> int:
        """Cells already done."""
        return sum(len(cells) for cells in self.known.values())

    @property
    def pending(self) -> tuple[InputRow, ...]:
        """Rows with at least one cell to compute, in input order."""
        width = len(self.policies)
        return tuple(row for row in self.rows if len(self.known.get(row.row_id, {})) < width)

    def to_compute(self, policy: str) -> int:
        """How many cells of ``policy`` are to compute."""
        return sum(1 for row in self.rows if policy not in self.known.get(row.row_id, {}))

    def describe(self) -> str:
        """One line: rows, policies, cells done and to compute."""
        to_compute = sum(self.to_compute(policy) for policy in self.policies)
        resuming = f" (resuming {self.out}; {self.torn_tail_bytes} torn bytes dropped)" if self.resumed else ""
        return "\n".join(
            (
                f"{len(self.rows)} rows x {len(self.policies)} policies: "
                f"{self.skipped} cells already done, {to_compute} to compute{resuming}",
                *self.notes,
            )
        )


def plan_run(config: ScoreConfig, data: Path, out: Path, *, retry_failed: bool) -> Result[ResumePlan, ScoringError]:
    """Read DATA and what OUT already holds; decide which cells stand."""
    if not data.is_file():
        return Failure(DataNotFound(path=str(data)))
    if out.exists() and out.resolve() == data.resolve():
        return Failure(ForeignOutput(path=str(out), line=1, reason="it is the input DATA itself"))
    match sealed(read_input(data)):
        case Failure(errors):
            return Failure(InputRejected(errors=errors))
        case Success(rows):
            return _plan_from(config, data, out, rows, retry_failed=retry_failed)


def _plan_from(
    config: ScoreConfig, data: Path, out: Path, rows: tuple[InputRow, ...], *, retry_failed: bool
) -> Result[ResumePlan, ScoringError]:
    match sealed(read_output(out)):
        case Failure(foreign):
            return Failure(foreign)
        case Success(journal):
            return _plan_with(config, data, out, rows, journal, retry_failed=retry_failed)


def read_output(out: Path) -> Result[ReadRows, ForeignOutput]:
    """What a scored output holds, or why it is not a file ``score`` wrote (nothing is written)."""
    return read_rows(out, id_field=ID_FIELD, marker=STATUS_FIELD).alt(_foreign)


def _foreign(corrupt: CorruptJournal) -> ForeignOutput:
    return ForeignOutput(path=corrupt.path, line=corrupt.line, reason=corrupt.reason)


def _plan_with(
    config: ScoreConfig, data: Path, out: Path, rows: tuple[InputRow, ...], journal: ReadRows, *, retry_failed: bool
) -> Result[ResumePlan, ScoringError]:
    stale = sorted(set(journal.rows) - {row.row_id for row in rows})
    if stale:
        return Failure(OutputOfOtherData(out=str(out), data=str(data), n_rows=len(stale), first_id=stale[0]))
    known: dict[str, Mapping[str, LogProbResult]] = {}
    for row in rows:
        stored = journal.rows.get(row.row_id)
        if stored is None:
            continue
        match sealed(stored_cells(stored, row, config)):
            case Success(cells):
                known[row.row_id] = resumable(cells, retry_failed=retry_failed)
            case Failure(reason):
                return Failure(StoredCellUnreadable(out=str(out), reason=reason))
    return Success(
        ResumePlan(
            out=out,
            policies=tuple(policy.name for policy in config.policies),
            rows=rows,
            known=known,
            resumed=bool(journal.rows),
            torn_tail_bytes=journal.torn_tail_bytes,
            complete_bytes=journal.complete_bytes,
            notes=resume_notes(journal.rows.values(), config, out),
        )
    )
