"""Estimates as a table for people: one row per (policy, estimator), refusals without a number.

>>> from returns.result import Failure
>>> from cje_fp.estimation import EstimateTable, UnknownPolicy
>>> table = EstimateTable(results={("x", "snips"): Failure(UnknownPolicy(name="x", available=("t",)))})
>>> refusal_lines(table)
["refused x (snips): unknown_policy: 'x' is not among ['t']"]
"""

from __future__ import annotations

from collections.abc import Mapping

from returns.result import Failure, Success
from rich.markup import escape
from rich.table import Table

from cje_fp.errors import sealed
from cje_fp.estimation import Estimate, EstimateTable, EstimationError, InsufficientOverlap


def refused(table: EstimateTable) -> list[tuple[str, str, EstimationError]]:
    """Every (target, estimator, error) that produced no estimate."""
    found: list[tuple[str, str, EstimationError]] = []
    for target, estimator, result in table:
        match sealed(result):
            case Failure(error):
                found.append((target, estimator, error))
            case Success(_):
                pass
    return found


def successes(table: EstimateTable) -> list[tuple[str, str, Estimate]]:
    """Every (target, estimator, estimate) that produced a number."""
    found: list[tuple[str, str, Estimate]] = []
    for target, estimator, result in table:
        match sealed(result):
            case Success(estimate):
                found.append((target, estimator, estimate))
            case Failure(_):
                pass
    return found


def _interval(low: float, high: float) -> str:
    return f"{low:.3f} to {high:.3f}"


def estimates_table(
    table: EstimateTable,
    *,
    truth: Mapping[str, float] | None = None,
    title: str = "Estimates",
) -> Table:
    """A rich table: one row per (target, estimator); refusals show no number.

    With ``truth`` (a simulation) it shows the true value and whether the CI
    covers it; otherwise the rows used.
    """
    grid = Table(title=title, title_justify="left")
    grid.add_column("policy")
    grid.add_column("estimator")
    grid.add_column("estimate", justify="right")
    grid.add_column("CI", justify="right")
    if truth is None:
        grid.add_column("n used", justify="right")
    else:
        grid.add_column("truth", justify="right")
        grid.add_column("covered", justify="center")
    grid.add_column("ESS", justify="right")
    grid.add_column("gate")
    previous = ""
    for target, estimator, result in table:
        shown = escape(target) if target != previous else ""
        previous = target
        match sealed(result):
            case Success(estimate):
                low, high = estimate.ci
                middle = [str(estimate.n_used)]
                if truth is not None:
                    covered = low <= truth[target] <= high
                    middle = [f"{truth[target]:.3f}", "[green]yes[/]" if covered else "[red]no[/]"]
                level = estimate.diagnostics.status.level
                gate = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "refuse": "[red]flagged[/]"}[level]
                ess = f"{estimate.diagnostics.overlap.ess_fraction:.1%}"
                grid.add_row(shown, estimator, f"{estimate.value:.3f}", _interval(low, high), *middle, ess, gate)
            case Failure(error):
                middle = ["-"] if truth is None else [f"{truth[target]:.3f}", "-"]
                ess = f"{error.diagnostics.ess_fraction:.1%}" if isinstance(error, InsufficientOverlap) else "-"
                grid.add_row(shown, estimator, "[red]refused[/]", "-", *middle, ess, f"[red]{error.kind}[/]")
    return grid


def refusal_lines(table: EstimateTable, flagged: EstimateTable | None = None) -> list[str]:
    """One line per refused target: which estimators, why, and (with ``flagged``) the
    numbers that were not reported."""
    by_target: dict[str, list[tuple[str, EstimationError]]] = {}
    for target, estimator, error in refused(table):
        by_target.setdefault(target, []).append((estimator, error))
    lines = []
    for target, declined in by_target.items():
        described = {error.describe() for _, error in declined}
        # a gate's reason may repeat inside another's longer one (the same mass problem): say it once
        reasons = sorted(reason for reason in described if not any(o != reason and o.startswith(reason) for o in described))
        names = ", ".join(estimator for estimator, _ in declined)
        line = f"refused {target} ({names}): {' / '.join(reasons)}"
        if flagged is not None:
            would_be = [
                f"{estimator} {estimate.value:.3f}"
                for flagged_target, estimator, estimate in successes(flagged)
                if flagged_target == target and any(name == estimator for name, _ in declined)
            ]
            if would_be:
                line += f"; unrefused it would have said {', '.join(would_be)}"
        lines.append(line)
    return lines
