"""``cje-fp estimate``: the estimates table (and JSON report, and figures) for a scored file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import attrs
from returns.result import Failure, Success
from rich.console import Console

from cje_fp.cli.data import exclusion_lines, load
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.report import matplotlib_missing, write_figures
from cje_fp.report import file_sha256, manifest
from cje_fp.report import estimates_json, estimates_table, jsonable, refusal_lines, refused
from cje_fp.data import Dataset
from cje_fp.estimation import EstimationConfig, estimate_all
from cje_fp.estimation import EstimatorName
from cje_fp.errors import sealed


@attrs.frozen(kw_only=True)
class EstimateOptions:
    """What ``cje-fp estimate`` was asked to do."""

    path: Path
    estimators: tuple[EstimatorName, ...]
    targets: tuple[str, ...] | None
    level: float
    allow_flagged: bool
    lenient: bool
    json_out: Path | None
    plot_dir: Path | None


def run_estimate(options: EstimateOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Exit 0 when every requested estimate was produced, 1 when any was refused."""
    if options.plot_dir is not None and (missing := matplotlib_missing()) is not None:
        return report(missing, errors, verbose=verbose)
    loaded = load(options.path, lenient=options.lenient)
    match sealed(loaded):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(dataset):
            return _estimate(options, dataset, console=console, errors=errors, verbose=verbose)


def _estimate(
    options: EstimateOptions, dataset: Dataset, *, console: Console, errors: Console, verbose: bool
) -> int:
    targets = options.targets or dataset.target_names
    unknown = [name for name in targets if name not in dataset.target_names]
    if unknown:
        problem = Problem(
            code=ExitCode.USAGE,
            message=f"unknown target policy {unknown}; the file has {list(dataset.target_names)}",
        )
        return report(problem, errors, verbose=verbose)
    config = EstimationConfig()
    with console.status("estimating..."):
        table = estimate_all(
            dataset,
            estimators=options.estimators,
            targets=targets,
            level=options.level,
            allow_flagged=options.allow_flagged,
            config=config,
        )
    console.print(estimates_table(table, title=f"Estimates for {options.path.name} ({options.level:.0%} CIs)"))
    console.print("Rows per policy:")
    for line in exclusion_lines(dataset, targets):
        console.print(line, highlight=False)
    declined = refused(table)
    for line in refusal_lines(table):
        console.print(line, markup=False, style="yellow")
    if declined and not options.allow_flagged:
        console.print("(--allow-flagged reports a flagged number where only the overlap gates refused)", style="dim")
    if options.json_out is not None:
        document = {
            "estimates": estimates_json(table),
            "provenance": manifest(
                data={
                    "path": str(options.path),
                    "sha256": file_sha256(options.path),
                    "rows": dataset.n_rows,
                    "dropped": dict(dataset.dropped),
                },
                config=jsonable(
                    {
                        "estimators": options.estimators,
                        "targets": targets,
                        "level": options.level,
                        "allow_flagged": options.allow_flagged,
                        "lenient": options.lenient,
                        "estimation": config,
                    }
                ),
                seeds={"calibration_folds": config.calibration.seed},
            ),
        }
        options.json_out.parent.mkdir(parents=True, exist_ok=True)
        options.json_out.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
        console.print(f"report written to {options.json_out}")
    if options.plot_dir is not None:
        written = write_figures(options.plot_dir, table=table, dataset=dataset, truth=None, console=console)
        if written != ExitCode.OK:
            return written
    return ExitCode.REFUSED if declined else ExitCode.OK
