"""``cje-fp score``: run the library's ``score_file`` and print its summary; each ``ScoringError``
case maps to its exit code here (``cje-fp doctor`` uses the same map)."""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

import attrs
from returns.result import Failure, Success
from rich.console import Console

from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.errors import sealed
from cje_fp.scoring import (
    ApiKeysMissing,
    BackendFatal,
    ConfigInvalid,
    DataNotFound,
    EndpointRefused,
    ForeignOutput,
    InputRejected,
    Interrupted,
    OutputInUse,
    OutputNotWritable,
    OutputOfOtherData,
    RichProgress,
    ScoringError,
    ScoringSummary,
    StoredCellUnreadable,
    score_file,
)


@attrs.frozen(kw_only=True)
class ScoreOptions:
    """What ``cje-fp score`` was asked to do."""

    config: Path
    data: Path
    out: Path
    retry_failed: bool
    probe: bool = True


def exit_code(error: ScoringError) -> ExitCode:
    """The exit code of each reason a run did not happen or stopped."""
    match error:
        case ConfigInvalid() | DataNotFound() | ForeignOutput() | OutputOfOtherData() | StoredCellUnreadable():
            return ExitCode.USAGE
        case OutputInUse() | OutputNotWritable():
            return ExitCode.USAGE
        case Interrupted():
            return ExitCode.INTERRUPTED
        case InputRejected():
            return ExitCode.REFUSED
        case ApiKeysMissing() | BackendFatal() | EndpointRefused():
            return ExitCode.BACKEND
        case _:
            assert_never(error)


def problem_of(error: ScoringError) -> Problem:
    """The paragraph (and details) to print for ``error``."""
    return Problem(code=exit_code(error), message=error.describe(), details=error.details)


def _print_summary(summary: ScoringSummary, console: Console) -> None:
    console.print(
        f"scored {summary.computed} cells in {summary.elapsed_seconds:.1f}s ({summary.cells_per_second:.1f} cells/s), "
        f"{summary.retries} retries; {summary.skipped} cells skipped as already done; wrote {summary.out}"
    )
    for warning in summary.warnings:
        console.print(f"WARNING: {warning}", style="bold red")
    if summary.failed:
        failures = ", ".join(f"{policy}/{kind}={count}" for (policy, kind), count in sorted(summary.failed.items()))
        console.print(f"failed cells (kept as failures, null log probs): {failures}")
        console.print("re-run with --retry-failed to retry only those", style="dim")


def run_score(options: ScoreOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Score, resume, or retry failed cells; exit 0, or 1/2/3/130 with one paragraph."""
    scored = score_file(
        options.config,
        options.data,
        options.out,
        retry_failed=options.retry_failed,
        probe=options.probe,
        progress=RichProgress(errors, plan_console=console),
    )
    match sealed(scored):
        case Success(summary):
            _print_summary(summary, console)
            return ExitCode.OK
        case Failure(error):
            return report(problem_of(error), errors, verbose=verbose)
