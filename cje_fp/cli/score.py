"""``cje-fp score``: run the library's ``score_file`` (``score_on_ray`` with ``--ray``) and print its
summary; each ``ScoringError`` case maps to its exit code here (``cje-fp doctor`` uses the same map)."""

from __future__ import annotations

import logging
import os
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
    RayFailed,
    RayMissing,
    RichProgress,
    ScoringError,
    ScoringSummary,
    StoredCellUnreadable,
    score_file,
    score_on_ray,
)


@attrs.frozen(kw_only=True)
class ScoreOptions:
    """What ``cje-fp score`` was asked to do."""

    config: Path
    data: Path
    out: Path
    retry_failed: bool
    probe: bool = True
    ray: str | None = None
    """None: in this process; "": on Ray (RAY_ADDRESS or a local instance); else a cluster's address."""
    ray_workers: int | None = None
    ray_batch_rows: int = 64


def exit_code(error: ScoringError) -> ExitCode:
    """The exit code of each reason a run did not happen or stopped."""
    match error:
        case (
            ConfigInvalid() | DataNotFound() | ForeignOutput() | OutputOfOtherData() | StoredCellUnreadable() | RayMissing()
        ):
            return ExitCode.USAGE
        case OutputInUse() | OutputNotWritable():
            return ExitCode.USAGE
        case Interrupted():
            return ExitCode.INTERRUPTED
        case InputRejected():
            return ExitCode.REFUSED
        case ApiKeysMissing() | BackendFatal() | RayFailed() | EndpointRefused():
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
    for line in summary.endpoint_lines():
        console.print(line, style="dim")
    for warning in summary.warnings:
        console.print(f"WARNING: {warning}", style="bold red")
    if summary.failed:
        failures = ", ".join(f"{policy}/{kind}={count}" for (policy, kind), count in sorted(summary.failed.items()))
        console.print(f"failed cells (kept as failures, null log probs): {failures}")
        console.print("re-run with --retry-failed to retry only those", style="dim")


def _quiet_ray() -> None:
    """Ray Data's own progress lines and notices off (ours is shown); ``--verbose`` keeps them."""
    os.environ.setdefault("RAY_DATA_LOG_LEVEL", "ERROR")
    logging.getLogger("ray").setLevel(logging.WARNING)
    try:
        import ray.data
    except ImportError:
        return  # score_on_ray says the extra is missing
    ray.data.DataContext.get_current().enable_progress_bars = False


def run_score(options: ScoreOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Score, resume, or retry failed cells; exit 0, or 1/2/3/130 with one paragraph."""
    progress = RichProgress(errors, plan_console=console)
    if options.ray is None:
        scored = score_file(options.config, options.data, options.out, retry_failed=options.retry_failed, progress=progress,
            probe=options.probe,
        )
    else:
        if not verbose:
            _quiet_ray()
        scored = score_on_ray(
            options.config,
            options.data,
            options.out,
            address=options.ray or None,
            workers=options.ray_workers,
            batch_rows=options.ray_batch_rows,
            retry_failed=options.retry_failed,
            progress=progress,
            probe=options.probe,
        )
    match sealed(scored):
        case Success(summary):
            _print_summary(summary, console)
            return ExitCode.OK
        case Failure(error):
            return report(problem_of(error), errors, verbose=verbose)
