"""``cje-fp estimate``: the estimates table (and JSON report, and figures) for a scored file."""

from __future__ import annotations

from pathlib import Path

import attrs
from returns.result import Failure, Success
from rich.console import Console

from cje_fp.cli.data import exclusion_lines, load
from cje_fp.cli.figures import draw_figures, plots_unavailable
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import EstimationConfig, EstimatorName, estimate_all
from cje_fp.report import estimates_table, estimation_report, refusal_lines, refused


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
    judge_field: str = "judge_score"
    oracle_field: str = "oracle_label"


def run_estimate(options: EstimateOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Exit 0 when every requested estimate was produced, 1 when any was refused."""
    if (unavailable := plots_unavailable(options.plot_dir, errors, verbose=verbose)) is not None:
        return unavailable
    loaded = load(
        options.path, lenient=options.lenient, judge_field=options.judge_field, oracle_field=options.oracle_field
    )
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
        document = estimation_report(
            table,
            dataset,
            path=options.path,
            targets=targets,
            estimators=options.estimators,
            level=options.level,
            allow_flagged=options.allow_flagged,
            lenient=options.lenient,
            config=config,
            judge_field=options.judge_field,
            oracle_field=options.oracle_field,
        )
        options.json_out.parent.mkdir(parents=True, exist_ok=True)
        options.json_out.write_text(document.to_json())
        console.print(f"report written to {options.json_out}")
    if options.plot_dir is not None:
        written = draw_figures(
            options.plot_dir, table=table, dataset=dataset, truth=None, console=console, errors=errors
        )
        if written != ExitCode.OK:
            return written
    return ExitCode.REFUSED if declined else ExitCode.OK
