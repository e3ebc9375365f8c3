"""``cje-fp estimate``: the estimates table (and JSON report, and figures) for a scored file."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import attrs
from returns.result import Failure, Result, Success
from rich.console import Console

from cje_fp.cli.data import exclusion_lines, load
from cje_fp.cli.figures import draw_figures, plots_unavailable
from cje_fp.cli.fresh import (
    FRESH_DIR,
    FreshSources,
    FreshTable,
    discover,
    found_lines,
    fresh_json,
    fresh_table,
    load_fresh,
    refusal_lines as fresh_refusal_lines,
    run_fresh_estimates,
)
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import (
    ESTIMATORS,
    FRESH_ESTIMATORS,
    EstimationConfig,
    FreshOptions,
    estimate_all,
)
from cje_fp.estimation._fresh_api import CalibrationCovariate
from cje_fp.report import estimates_table, estimation_report, refusal_lines, refused


@attrs.frozen(kw_only=True)
class EstimateOptions:
    """What ``cje-fp estimate`` was asked to do."""

    path: Path
    estimators: tuple[str, ...]
    """IPS-family names, fresh-draw names (direct, dr, tmle, stacked-dr) and ``auto``."""
    targets: tuple[str, ...] | None
    level: float
    allow_flagged: bool
    lenient: bool
    json_out: Path | None
    plot_dir: Path | None
    fresh_dir: Path | None = None
    probe_dir: Path | None = None
    probe_correction: bool = False
    calibration_covariate: CalibrationCovariate | None = None
    judge_field: str = "judge_score"
    oracle_field: str = "oracle_label"


def resolve_auto(requested: Sequence[str], has_fresh: bool) -> tuple[str, ...]:
    """``auto`` is stacked-dr when fresh draws exist, else snips and calibrated-ips.

    >>> resolve_auto(["auto"], True), resolve_auto(["auto", "ips"], False)
    (('stacked-dr',), ('snips', 'calibrated-ips', 'ips'))
    """
    chosen: list[str] = []
    for name in requested:
        expanded = (("stacked-dr",) if has_fresh else ("snips", "calibrated-ips")) if name == "auto" else (name,)
        chosen.extend(item for item in expanded if item not in chosen)
    return tuple(chosen)


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


def _fresh_step(
    options: EstimateOptions, dataset: Dataset, targets: Sequence[str], console: Console
) -> Result[tuple[tuple[str, ...], FreshTable, FreshSources], Problem]:
    """Find and load fresh draws, resolve ``auto``, run and print the fresh-draw estimators."""
    sources = discover(options.path, options.fresh_dir, options.probe_dir)
    loaded = load_fresh(dataset, sources)
    fresh = loaded.value_or(None)
    if fresh is None:
        return loaded.map(lambda _: (resolve_auto(options.estimators, False), {}, sources)).bind(
            partial(_needs_no_fresh, options.path)
        )
    for line in found_lines(fresh, sources):
        console.print(line, highlight=False, markup=False)
    chosen = resolve_auto(options.estimators, True)
    fresh_names = tuple(name for name in chosen if name in FRESH_ESTIMATORS)
    results: FreshTable = {}
    if fresh_names:
        fresh_options = FreshOptions(level=options.level, probe_correction=options.probe_correction,
                                     allow_flagged=options.allow_flagged)
        with console.status("estimating from fresh draws..."):
            results = run_fresh_estimates(
                dataset, fresh, targets, fresh_names, fresh_options, options.calibration_covariate
            )
        console.print(fresh_table(results, f"Fresh-draw estimates ({options.level:.0%} CIs)"))
        for line in fresh_refusal_lines(results):
            console.print(line, markup=False, style="yellow")
    return Success((chosen, results, sources))


def _problem(result: Result[object, Problem]) -> Problem:
    """The problem of a step known to have failed (its value was None)."""
    match sealed(result):
        case Failure(problem):
            return problem
        case Success(_):
            return Problem(code=ExitCode.USAGE, message="internal: no problem to report")


def _needs_no_fresh(
    path: Path, step: tuple[tuple[str, ...], FreshTable, FreshSources]
) -> Result[tuple[tuple[str, ...], FreshTable, FreshSources], Problem]:
    """A usage problem when fresh-draw estimators were asked for without fresh draws."""
    fresh_names = [name for name in step[0] if name in FRESH_ESTIMATORS]
    if fresh_names:
        return Failure(Problem(code=ExitCode.USAGE, message=(
            f"{', '.join(fresh_names)} need fresh draws: none found beside {path} "
            f"({FRESH_DIR}/) and no --fresh-draws given")))
    return Success(step)


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
    stepped = _fresh_step(options, dataset, targets, console)
    step = stepped.value_or(None)
    if step is None:
        return report(_problem(stepped), errors, verbose=verbose)
    chosen, fresh_results, sources = step
    ips_names = tuple(name for name in chosen if name in ESTIMATORS)
    with console.status("estimating..."):
        table = estimate_all(
            dataset,
            estimators=ips_names,
            targets=targets,
            level=options.level,
            allow_flagged=options.allow_flagged,
            config=config,
        )
    if ips_names:
        console.print(estimates_table(table, title=f"Estimates for {options.path.name} ({options.level:.0%} CIs)"))
    console.print("Rows per policy:")
    for line in exclusion_lines(dataset, targets):
        console.print(line, highlight=False)
    declined = [*refused(table), *fresh_refusal_lines(fresh_results)]
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
            estimators=chosen,
            level=options.level,
            allow_flagged=options.allow_flagged,
            lenient=options.lenient,
            config=config,
            judge_field=options.judge_field,
            oracle_field=options.oracle_field,
        ).to_dict()
        document["fresh"] = {
            "estimates": fresh_json(fresh_results),
            "estimator_choice": {"requested": list(options.estimators), "used": list(chosen)},
            "sources": sources.to_dict(),
            "probe_correction": options.probe_correction,
            "calibration_covariate": options.calibration_covariate,
        }
        options.json_out.parent.mkdir(parents=True, exist_ok=True)
        options.json_out.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
        console.print(f"report written to {options.json_out}")
    if options.plot_dir is not None:
        written = draw_figures(
            options.plot_dir, table=table, dataset=dataset, truth=None, console=console, errors=errors
        )
        if written != ExitCode.OK:
            return written
    return ExitCode.REFUSED if declined else ExitCode.OK
