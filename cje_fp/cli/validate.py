"""``cje-fp validate``: list every problem of a data file by line and field."""

from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Success
from rich.console import Console

from cje_fp.cli.data import exclusion_lines, existing_file
from cje_fp.cli.fresh import discover, found_lines, load_fresh
from cje_fp.cli.outcome import ExitCode, report
from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.io import load_dataset


def _validate_fresh(path: Path, dataset: Dataset, console: Console) -> int:
    """Check the fresh draws and probe slices beside ``path`` (OK when there are none)."""
    sources = discover(path, None, None)
    match sealed(load_fresh(dataset, sources)):
        case Success(fresh):
            if fresh is not None:
                for line in found_lines(fresh, sources):
                    console.print(f"OK: {line}", markup=False, highlight=False)
            return ExitCode.OK
        case Failure(problem):
            console.print(problem.details or problem.message, markup=False, highlight=False, soft_wrap=True)
            return ExitCode.REFUSED


def run_validate(path: Path, *, console: Console, errors: Console, verbose: bool) -> int:
    """Exit 0 with a summary when the file is clean, 1 with every problem when not."""
    match sealed(existing_file(path)):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(_):
            pass
    match sealed(load_dataset(path)):
        case Success(dataset):
            targets = ", ".join(dataset.target_names)
            console.print(
                f"{path}: OK: {dataset.n_rows} rows, target policies {targets}, "
                f"{dataset.n_oracle} oracle labels",
                highlight=False,
            )
            for line in exclusion_lines(dataset, dataset.target_names):
                console.print(line, markup=False)
            return _validate_fresh(path, dataset, console)
        case Failure(data_errors):
            for row_problem in data_errors.problems:
                console.print(row_problem.describe(), highlight=False, soft_wrap=True, markup=False)
            kinds = ", ".join(f"{kind}={count}" for kind, count in sorted(data_errors.by_kind().items()))
            console.print(
                f"{path}: {len(data_errors.problems)} problem(s) in {data_errors.n_bad_rows} row(s) ({kinds})",
                highlight=False,
            )
            return ExitCode.REFUSED
