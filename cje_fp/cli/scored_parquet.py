"""``cje-fp score --out SCORED.parquet``: score into a JSONL journal, write Parquet at the end.

The journal (``SCORED.journal.jsonl`` beside it) is what makes scoring resumable
and stays JSONL; once every row is written, its rows become the Parquet file.

>>> journal_for(Path("runs/scored.parquet")), journal_for(Path("runs/scored.jsonl"))
(PosixPath('runs/scored.journal.jsonl'), PosixPath('runs/scored.jsonl'))
"""

from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Success
from rich.console import Console

from cje_fp._extras import MissingExtra
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.errors import sealed
from cje_fp.io._parquet import is_parquet, write_parquet
from cje_fp.scoring._checkpoint import read_rows
from cje_fp.scoring._scored_rows import ID_FIELD


def journal_for(out: Path) -> Path:
    """Where ``score`` appends its rows: ``out`` itself, or a JSONL journal beside a ``.parquet`` ``out``."""
    return out.with_suffix(".journal.jsonl") if is_parquet(out) else out


def parquet_missing(out: Path) -> Problem | None:
    """A usage problem, before any work, when ``out`` is Parquet and pyarrow is missing."""
    if not is_parquet(out):
        return None
    try:
        import pyarrow  # noqa: F401 - only checking that it imports
    except ImportError as error:
        return Problem(
            code=ExitCode.USAGE,
            message=f'--out {out.name} needs pyarrow, an optional extra: pip install "cje-fp[parquet]" ({error})',
        )
    return None


def finish_parquet(out: Path, journal: Path, *, console: Console, errors: Console) -> int:
    """Write the journal's rows to ``out`` as Parquet; exit 0, or 2 if the journal cannot be read."""
    match sealed(read_rows(journal, id_field=ID_FIELD)):
        case Failure(corrupt):
            return report(Problem(code=ExitCode.USAGE, message=corrupt.describe()), errors, verbose=False)
        case Success(written):
            try:
                write_parquet(out, list(written.rows.values()))
            except MissingExtra as error:
                return report(Problem(code=ExitCode.USAGE, message=str(error)), errors, verbose=False)
            console.print(f"wrote {out} ({len(written.rows)} rows; the resumable journal is {journal})")
            return ExitCode.OK
