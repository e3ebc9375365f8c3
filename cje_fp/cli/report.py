"""``cje-fp report REPORT.json --html OUT.html``: the JSON report as one self-contained page."""

from __future__ import annotations

import json
from pathlib import Path

from returns.result import Failure, Result, Success
from rich.console import Console

from cje_fp.cli.data import existing_file
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.errors import sealed
from cje_fp.report import Report, report_page


def read_report(path: Path) -> Result[dict[str, object], Problem]:
    """The JSON report at ``path`` as JSON data (``Report.from_dict`` accepts it), or the problem.

    The page is drawn from the data itself, so sections a newer writer adds (audits) are kept.
    """
    match sealed(existing_file(path)):
        case Failure(problem):
            return Failure(problem)
        case Success(_):
            pass
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return Failure(Problem(code=ExitCode.REFUSED, message=f"{path} is not a JSON report: {error}"))
    match sealed(Report.from_dict(document)):
        case Failure(invalid):
            return Failure(
                Problem(
                    code=ExitCode.REFUSED,
                    message=f"{path} is not a cje-fp report ({invalid.describe()}); write one with cje-fp estimate -o",
                )
            )
        case Success(_):
            assert isinstance(document, dict)  # from_dict accepted it: a JSON object
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
