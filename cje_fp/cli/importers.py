"""``cje-fp import lm-eval FILE --out OUT`` and ``cje-fp import inspect LOG --out OUT``: other tools'
per-sample logs as CJE JSONL, ready for ``cje-fp score``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import attrs
from returns.result import Failure, Result, Success
from rich.console import Console

from cje_fp.cli.data import existing_file
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.errors import sealed
from cje_fp.io import Imported, ImportFailed, import_inspect, import_lm_eval, write_rows

SHOWN_SKIPS = 5


@attrs.frozen(kw_only=True)
class ImportOptions:
    """What ``cje-fp import`` was asked to do."""

    kind: Literal["lm-eval", "inspect"]
    source: Path
    out: Path
    task: str | None
    judge_field: str | None
    oracle_field: str | None


def _imported(options: ImportOptions) -> Result[Imported, ImportFailed]:
    if options.kind == "lm-eval":
        return import_lm_eval(
            options.source, task=options.task, judge_metric=options.judge_field, oracle_metric=options.oracle_field
        )
    return import_inspect(options.source, judge_scorer=options.judge_field, oracle_scorer=options.oracle_field)


def run_import(options: ImportOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Write the rows; exit 0, 1 when nothing could be imported, 2 when the file is missing."""
    match sealed(existing_file(options.source)):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(_):
            pass
    match sealed(_imported(options)):
        case Failure(failed):
            details = "\n".join(skip.describe() for skip in failed.skipped)
            return report(Problem(code=ExitCode.REFUSED, message=failed.describe(), details=details), errors, verbose=verbose)
        case Success(imported):
            write_rows(options.out, imported.rows)
            console.print(
                f"imported {len(imported.rows)} rows from {options.source} into {options.out}; "
                f"skipped {len(imported.skipped)}"
            )
            shown = imported.skipped if verbose else imported.skipped[:SHOWN_SKIPS]
            for skip in shown:
                console.print(f"  skipped {skip.describe()}", markup=False)
            if len(shown) < len(imported.skipped):
                console.print(f"  (and {len(imported.skipped) - len(shown)} more: --verbose lists them)", style="dim")
            console.print(f"next: cje-fp score CONFIG {options.out} --out SCORED.jsonl", style="dim")
            return ExitCode.OK
