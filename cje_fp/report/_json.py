"""Estimates as a table for people and as JSON for machines.

The JSON's stable core is ``{"estimates": {policy: {estimator: entry}}}``
where an entry is ``{"status": "ok", "value", "se", "ci": [low, high],
"n_used", "reason": null, "diagnostics": {...}}`` or ``{"status": "refused",
"n_used", "reason": "...", "kind": "...", "diagnostics": {...}}`` (no value,
se or ci: a refusal has no number; ``n_used`` is null when the error came before
rows were counted).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
from returns.result import Failure, Success
from rich.markup import escape
from rich.table import Table

from cje_fp.estimation import EstimationError, InformativeMissingness, InsufficientOverlap, TooFewRows
from cje_fp.estimation import Estimate, EstimateTable
from cje_fp.errors import sealed


def jsonable(value: Any) -> Any:
    """``value`` with attrs classes as dicts and non-finite floats as strings (JSON has none)."""
    if attrs.has(type(value)):
        return {field.name: jsonable(getattr(value, field.name)) for field in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def _estimate_entry(estimate: Estimate) -> dict[str, Any]:
    diagnostics = estimate.diagnostics
    status = diagnostics.status
    return {
        "status": "ok",
        "value": estimate.value,
        "se": estimate.se,
        "ci": list(estimate.ci),
        "level": estimate.level,
        "n_used": estimate.n_used,
        "n_excluded": estimate.n_excluded,
        "excluded": dict(estimate.excluded),
        "reason": None,
        "flagged": estimate.flagged,
        "se_sampling": estimate.se_sampling,
        "se_oracle": estimate.se_oracle,
        "reward_source": estimate.reward_source,
        "diagnostics": jsonable(
            {
                "gate": status.level,
                "refusals": status.refusals,
                "warnings": status.warnings,
                "final_ess_fraction": diagnostics.final_ess_fraction,
                "overlap": diagnostics.overlap,
                "calibration": diagnostics.calibration,
            }
        ),
    }


def _refusal_entry(error: EstimationError) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": "refused", "kind": error.kind, "reason": error.describe()}
    match error:
        case InsufficientOverlap(diagnostics=overlap, reasons=reasons):
            entry["n_used"] = overlap.n
            entry["diagnostics"] = jsonable({"gate": "refuse", "refusals": reasons, "overlap": overlap})
        case InformativeMissingness(check=check, reasons=reasons):
            entry["n_used"] = check.n_used
            entry["diagnostics"] = jsonable({"gate": "refuse", "refusals": reasons, "missingness": check})
        case TooFewRows(n_used=n_used):
            entry["n_used"] = n_used
            entry["diagnostics"] = {}
        case _:
            entry["n_used"] = None  # the error happened before rows were counted
            entry["diagnostics"] = {}
    return entry


def estimates_json(table: EstimateTable) -> dict[str, dict[str, dict[str, Any]]]:
    """The ``estimates`` section: policy -> estimator -> entry."""
    section: dict[str, dict[str, dict[str, Any]]] = {}
    for target, estimator, result in table:
        match sealed(result):
            case Success(estimate):
                section.setdefault(target, {})[estimator] = _estimate_entry(estimate)
            case Failure(error):
                section.setdefault(target, {})[estimator] = _refusal_entry(error)
    return section


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
        reasons = sorted({error.describe() for _, error in declined})
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
