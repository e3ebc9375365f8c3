"""``cje-fp report REPORT.json --html OUT.html``: the JSON report as one self-contained page."""

from __future__ import annotations

import json
from pathlib import Path

from returns.result import Failure, Result, Success
from rich.console import Console

from cje_fp.cli.data import existing_file
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.errors import sealed
from cje_fp.report import report_page


def read_report(path: Path) -> Result[dict[str, object], Problem]:
    """The JSON report at ``path`` (an object with an ``estimates`` object), or the problem."""
    match sealed(existing_file(path)):
        case Failure(problem):
            return Failure(problem)
        case Success(_):
            pass
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return Failure(Problem(code=ExitCode.REFUSED, message=f"{path} is not a JSON report: {error}"))
    if not isinstance(document, dict) or not isinstance(document.get("estimates"), dict):
        return Failure(
            Problem(
                code=ExitCode.REFUSED,
                message=f"{path} is not a cje-fp report: it has no \"estimates\" object "
                "(write one with cje-fp estimate --json or -o)",
            )
        )
    return Success(document)


def run_report(path: Path, *, html_out: Path, console: Console, errors: Console, verbose: bool) -> int:
    """Write the page; exit 0, 1 when the file is not a report, 2 when it is missing."""
    match sealed(read_report(path)):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(document):
            html_out.parent.mkdir(parents=True, exist_ok=True)
            html_out.write_text(report_page(document, title=f"cje-fp report: {path.name}"), encoding="utf-8")
            console.print(f"page written to {html_out}")
            return ExitCode.OK
