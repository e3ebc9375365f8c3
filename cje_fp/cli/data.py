"""Loading a data file for a command: usage problems vs data problems."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from returns.result import Failure, Result, Success

from cje_fp.cli.outcome import ExitCode, Problem
from cje_fp.data import DataErrors, Dataset
from cje_fp.errors import sealed
from cje_fp.io import load_dataset


def exclusion_lines(dataset: Dataset, targets: Sequence[str]) -> list[str]:
    """Per target: rows usable, and how many each reason excluded."""
    lines = []
    for name in targets:
        used = int(dataset.usable_mask(name).sum())
        reasons = ", ".join(f"{reason}={count}" for reason, count in sorted(dataset.exclusions(name).items()))
        lines.append(f"  {name}: {used} usable rows; excluded: {reasons or 'none'}")
    return lines


def existing_file(path: Path) -> Result[Path, Problem]:
    """``path`` if it is a readable file, else a usage problem."""
    if not path.is_file():
        return Failure(Problem(code=ExitCode.USAGE, message=f"no such file: {path}"))
    return Success(path)


def data_problem(errors: DataErrors, *, shown: int = 5) -> Problem:
    """One paragraph naming the first problems; every problem in the details."""
    problems = errors.problems
    first = "; ".join(problem.describe() for problem in problems[:shown])
    more = f" (and {len(problems) - shown} more)" if len(problems) > shown else ""
    return Problem(
        code=ExitCode.REFUSED,
        message=(
            f"{errors.path}: {len(problems)} problem(s) in {errors.n_bad_rows} row(s): {first}{more}. "
            "Fix the file, or pass --lenient to exclude the bad rows (they are counted)."
        ),
        details="\n".join(problem.describe() for problem in problems),
    )


def load(
    path: Path, *, lenient: bool, judge_field: str = "judge_score", oracle_field: str = "oracle_label"
) -> Result[Dataset, Problem]:
    """The dataset, or the problem to report."""
    match sealed(existing_file(path)):
        case Failure(problem):
            return Failure(problem)
        case Success(_):
            pass
    match sealed(load_dataset(path, strict=not lenient, judge_field=judge_field, oracle_field=oracle_field)):
        case Success(dataset):
            return Success(dataset)
        case Failure(errors):
            return Failure(data_problem(errors))
