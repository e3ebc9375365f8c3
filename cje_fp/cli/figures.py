"""``--plot DIR``: figures through the report layer, a missing matplotlib as a usage error."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from returns.result import Failure, Success
from rich.console import Console

from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import EstimateTable
from cje_fp.report import PlotsUnavailable, matplotlib_missing, write_figures


def _usage(missing: PlotsUnavailable) -> Problem:
    return Problem(code=ExitCode.USAGE, message=missing.describe())


def plots_unavailable(plot_dir: Path | None, errors: Console, *, verbose: bool) -> int | None:
    """The usage exit code (after saying why) when figures are asked for but cannot be drawn."""
    if plot_dir is None:
        return None
    missing = matplotlib_missing()
    return None if missing is None else report(_usage(missing), errors, verbose=verbose)


def draw_figures(
    folder: Path,
    *,
    table: EstimateTable,
    dataset: Dataset,
    truth: Mapping[str, float] | None,
    console: Console,
    errors: Console,
) -> int:
    """Write the figures into ``folder`` and say so; the exit code."""
    match sealed(write_figures(folder, table=table, dataset=dataset, truth=truth)):
        case Success(paths):
            console.print(f"figures written to {folder}: {', '.join(path.name for path in paths)}")
            return ExitCode.OK
        case Failure(missing):
            return report(_usage(missing), errors, verbose=False)
