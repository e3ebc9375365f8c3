"""``cje-fp estimate`` with fresh draws: discovery beside DATA, the inputs of the fresh-draw estimators, their table."""

from __future__ import annotations

from pathlib import Path

import attrs
from returns.result import Failure, Result, Success
from rich.table import Table

from cje_fp.cli.outcome import ExitCode, Problem
from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import (
    CalibrationCovariate,
    Estimate,
    EstimateTable,
    ExtraInputs,
    FreshData,
    FreshDiagnostics,
    FreshInputs,
    FreshOptions,
    JsonObject,
)
from cje_fp.io import DrawTable, load_draw_directory

FRESH_DIR = "fresh_draws"
PROBE_DIR = "probe_slice"


@attrs.frozen(kw_only=True)
class FreshSources:
    """Where fresh draws and probe slices come from (None: not found / not given)."""

    fresh_dir: Path | None
    probe_dir: Path | None

    def to_dict(self) -> JsonObject:
        """Where the draws came from, for the JSON report."""
        return {
            "fresh_draws": None if self.fresh_dir is None else str(self.fresh_dir),
            "probe": None if self.probe_dir is None else str(self.probe_dir),
        }


def discover(data: Path, fresh_dir: Path | None, probe_dir: Path | None) -> FreshSources:
    """``--fresh-draws``/``--probe`` if given, else ``fresh_draws/`` and ``probe_slice/`` beside DATA."""
    beside = data.parent
    found_fresh = fresh_dir if fresh_dir is not None else (beside / FRESH_DIR if (beside / FRESH_DIR).is_dir() else None)
    found_probe = probe_dir if probe_dir is not None else (beside / PROBE_DIR if (beside / PROBE_DIR).is_dir() else None)
    return FreshSources(fresh_dir=found_fresh, probe_dir=found_probe)


def load_fresh(dataset: Dataset, sources: FreshSources) -> Result[FreshData | None, Problem]:
    """The draw tables, or the problem naming every bad file, line and field."""
    if sources.fresh_dir is None:
        return Success(None)
    if not sources.fresh_dir.is_dir():
        return Failure(Problem(code=ExitCode.USAGE, message=f"no such directory: {sources.fresh_dir}"))
    tables: dict[str, dict[str, DrawTable]] = {}
    for kind, folder in (("fresh", sources.fresh_dir), ("probe", sources.probe_dir)):
        if folder is None:
            tables[kind] = {}
            continue
        match sealed(load_draw_directory(folder, kind="fresh" if kind == "fresh" else "probe",
                                         policies=dataset.target_names, logged_prompts=dataset.prompt_ids)):
            case Success(loaded):
                tables[kind] = loaded
            case Failure(errors):
                details = "\n".join(error.describe() for error in errors)
                first = errors[0].problems[0].describe() if errors[0].problems else ""
                return Failure(Problem(code=ExitCode.REFUSED, message=f"{errors[0].path}: {first}", details=details))
    return Success(FreshData(draws=tables["fresh"], probes=tables["probe"]))


def found_lines(fresh: FreshData, sources: FreshSources) -> list[str]:
    """What discovery found, for the console."""
    lines = [f"fresh draws from {sources.fresh_dir}: "
             + ", ".join(f"{name} ({table.n_rows} draws, {table.n_unlogged_prompts} prompts not in the logs)"
                         for name, table in sorted(fresh.draws.items()))]
    if fresh.probes:
        lines.append(f"probe slices from {sources.probe_dir}: "
                     + ", ".join(f"{name} ({table.n_rows} rows)" for name, table in sorted(fresh.probes.items())))
    return lines


def fresh_inputs(
    fresh: FreshData | None, probe_correction: bool, covariate: CalibrationCovariate | None
) -> ExtraInputs:
    """What the registry's fresh-draw estimators read (nothing without fresh draws)."""
    if fresh is None:
        return ExtraInputs()
    return ExtraInputs(
        fresh=FreshInputs(data=fresh, options=FreshOptions(probe_correction=probe_correction), covariate=covariate)
    )


def fresh_table(table: EstimateTable, title: str) -> Table:
    """The fresh-draw estimates (or refusals) with the audits' verdicts."""
    grid = Table(title=title, title_justify="left")
    for column in ("policy", "estimator", "estimate", "CI", "transport", "boundary", "stack"):
        grid.add_column(column)
    for target, estimator, result in table:
        match sealed(result):
            case Success(Estimate(fresh=FreshDiagnostics() as found) as estimate):
                low, high = estimate.ci
                transport = "-" if found.transport is None else found.transport.status
                stack = " ".join(f"{name} {weight:.2f}" for name, weight in found.stack_weights)
                name = estimator + (" +probe" if found.probe_corrected else "")
                grid.add_row(target, name, f"{estimate.value:.3f}", f"{low:.3f} to {high:.3f}", transport,
                             found.boundary.status, stack)
            case Success(_):
                pass
            case Failure(error):
                grid.add_row(target, estimator, "[red]refused[/]", "-", "-", "-", f"[red]{error.kind}[/]")
    return grid
