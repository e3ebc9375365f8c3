"""``cje-fp estimate``: the estimates table (and JSON report, figures, paired comparison) for a scored file.

Refusals are results: the command exits 0 when the report was produced and
lists every refusal plainly; ``--fail-on-refusal`` makes any refusal (of an
estimate or of the comparison) exit 1. Invalid data exits 1 with line and field
(the exit-code table is in the README).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import attrs
from returns.result import Failure, Result, Success
from rich.console import Console

from cje_fp.cli.comparisons import (
    Compared,
    Family,
    comparison_lines,
    comparisons,
    comparisons_json,
    family_comparisons,
    family_json,
    family_lines,
    refused_comparisons,
)
from cje_fp.cli.data import data_problem, exclusion_lines, lenient_lines, load
from cje_fp.cli.figures import draw_figures, plots_unavailable
from cje_fp.cli.fresh import (
    FRESH_DIR,
    FreshSources,
    discover,
    found_lines,
    fresh_inputs,
    fresh_table,
    load_fresh,
)
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.data import DataErrors, Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import (
    CalibrationCovariate,
    EstimateTable,
    EstimationConfig,
    ExtraInputs,
    FreshData,
    JsonValue,
    LabelDesign,
    estimate_all,
    variance_attribution,
)
from cje_fp.estimation.estimators import EstimatorInputs, lookup_estimator, resolve_estimators
from cje_fp.io import clustered_by_field, with_label_propensity
from cje_fp.report import (
    estimates_table,
    estimation_report,
    refusal_lines,
    refused,
    successes,
)


@attrs.frozen(kw_only=True)
class EstimateOptions:
    """What ``cje-fp estimate`` was asked to do."""

    path: Path
    estimators: tuple[str, ...]
    """Registered names (``auto`` and any other chooser resolved by whether fresh draws were found)."""
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
    label_design: LabelDesign = "random"
    cluster_by: str | None = None
    """Cluster rows by this field (``metadata.family``, ``prompt_id``...); repeated prompt ids are then allowed."""
    fail_on_refusal: bool = False
    compare: tuple[str, str] | None = None
    compare_to: str | None = None
    """``--compare-to B``: every target minus B, Holm-adjusted (``base`` for the logging policy)."""


def run_estimate(options: EstimateOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Exit 0 when the report was produced (refusals listed), 1 for invalid data or a refusal under
    ``--fail-on-refusal``, 2 for a usage error."""
    if (unavailable := plots_unavailable(options.plot_dir, errors, verbose=verbose)) is not None:
        return unavailable
    loaded = load(
        options.path,
        lenient=options.lenient,
        judge_field=options.judge_field,
        oracle_field=options.oracle_field,
        repeated_prompts="error" if options.cluster_by is None else "cluster",
    ).bind(lambda dataset: _inputs(dataset, options))
    match sealed(loaded):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(dataset):
            for line in lenient_lines(dataset, limit=None if verbose else 20):
                errors.print(line, markup=False, highlight=False, soft_wrap=True)
            return _estimate(options, dataset, console=console, errors=errors, verbose=verbose)


def _inputs(dataset: Dataset, options: EstimateOptions) -> Result[Dataset, Problem]:
    """Clusters from ``--cluster-by`` and label propensities from the file, or the data problem."""
    clustered: Result[Dataset, DataErrors] = (
        Success(dataset) if options.cluster_by is None else clustered_by_field(dataset, options.cluster_by)
    )
    return clustered.bind(with_label_propensity).alt(data_problem)


def _usage_problem(options: EstimateOptions, dataset: Dataset) -> Problem | None:
    targets = options.targets or dataset.target_names
    asked = list(targets) + ([] if options.compare is None else [options.compare[0]])
    if options.compare is not None and options.compare[1] != "base":
        asked.append(options.compare[1])
    if options.compare_to is not None and options.compare_to != "base":
        asked.append(options.compare_to)
    unknown = sorted({name for name in asked if name not in dataset.target_names})
    if unknown:
        return Problem(
            code=ExitCode.USAGE,
            message=f"unknown target policy {unknown}; the file has {list(dataset.target_names)}"
            + (" (and 'base' for --compare)" if options.compare is not None or options.compare_to else ""),
        )
    return None


def _fresh_step(
    options: EstimateOptions, dataset: Dataset, console: Console
) -> Result[tuple[tuple[str, ...], ExtraInputs, FreshSources], Problem]:
    """Find and load fresh draws, resolve ``auto`` (and any chooser), and the fresh-draw estimators' inputs."""
    sources = discover(options.path, options.fresh_dir, options.probe_dir)
    return load_fresh(dataset, sources).bind(lambda fresh: _chosen(options, fresh, sources, console))


def _chosen(
    options: EstimateOptions, fresh: FreshData | None, sources: FreshSources, console: Console
) -> Result[tuple[tuple[str, ...], ExtraInputs, FreshSources], Problem]:
    chosen = resolve_estimators(options.estimators, fresh_draws=fresh is not None)
    if fresh is None:
        needing = [name for name in chosen if _reads(name) == "fresh-draws"]
        if needing:
            return Failure(Problem(code=ExitCode.USAGE, message=(
                f"{', '.join(needing)} need fresh draws: none found beside {options.path} "
                f"({FRESH_DIR}/) and no --fresh-draws given")))
    else:
        for line in found_lines(fresh, sources):
            console.print(line, highlight=False, markup=False)
    return Success((chosen, fresh_inputs(fresh, options.probe_correction, options.calibration_covariate), sources))


def _reads(name: str) -> EstimatorInputs:
    """What the registered estimator ``name`` reads (argument parsing has checked the name)."""
    inputs: EstimatorInputs = "logged"
    return lookup_estimator(name).map(lambda found: found.inputs).value_or(inputs)


def _problem(result: Result[object, Problem]) -> Problem:
    """The problem of a step known to have failed (its value was None)."""
    match sealed(result):
        case Failure(problem):
            return problem
        case Success(_):
            return Problem(code=ExitCode.USAGE, message="internal: no problem to report")


def _estimate(
    options: EstimateOptions, dataset: Dataset, *, console: Console, errors: Console, verbose: bool
) -> int:
    if (problem := _usage_problem(options, dataset)) is not None:
        return report(problem, errors, verbose=verbose)
    targets = options.targets or dataset.target_names
    config = EstimationConfig()
    stepped = _fresh_step(options, dataset, console)
    step = stepped.value_or(None)
    if step is None:
        return report(_problem(stepped), errors, verbose=verbose)
    chosen, extra, sources = step
    with console.status("estimating..."):
        table = estimate_all(
            dataset,
            estimators=chosen,
            targets=targets,
            level=options.level,
            allow_flagged=options.allow_flagged,
            config=config,
            extra=extra,
            label_design=options.label_design,
        )
    _print_table(options, dataset, table, targets, chosen, console=console)
    pair_results = _compared(options, dataset, config, chosen, extra, console=console)
    family = _family(options, dataset, config, chosen, extra, targets, console=console)
    if options.json_out is not None:
        fresh_section = {
            "estimator_choice": {"requested": list(options.estimators), "used": list(chosen)},
            "sources": sources.to_dict(),
            "probe_correction": options.probe_correction,
            "calibration_covariate": options.calibration_covariate,
        }
        compared = (pair_results, family)
        _write_report(options, dataset, table, targets, config, compared, chosen, fresh_section, console=console)
    if options.plot_dir is not None:
        written = draw_figures(
            options.plot_dir, table=table, dataset=dataset, truth=None, console=console, errors=errors
        )
        if written != ExitCode.OK:
            return written
    n_refused = len(refused(table)) + refused_comparisons(pair_results) + refused_comparisons(family)
    if n_refused and options.fail_on_refusal:
        errors.print(f"{n_refused} refusal(s) and --fail-on-refusal: exit 1", markup=False, highlight=False)
        return ExitCode.REFUSED
    return ExitCode.OK


def _print_table(
    options: EstimateOptions,
    dataset: Dataset,
    table: EstimateTable,
    targets: Sequence[str],
    chosen: Sequence[str],
    *,
    console: Console,
) -> None:
    """The estimates (logged-data ones, then fresh-draw ones with their audits), the rows each policy
    used, the clusters, where the uncertainty comes from, refusals."""
    logged = _only(table, [name for name in chosen if _reads(name) == "logged"])
    fresh = _only(table, [name for name in chosen if _reads(name) == "fresh-draws"])
    if logged.results:
        console.print(estimates_table(logged, title=f"Estimates for {options.path.name} ({options.level:.0%} CIs)"))
    if fresh.results:
        console.print(fresh_table(fresh, f"Fresh-draw estimates ({options.level:.0%} CIs)"))
    console.print("Rows per policy:")
    for line in exclusion_lines(dataset, targets):
        console.print(line, highlight=False)
    if options.cluster_by is not None:
        n_clusters = int(dataset.clusters.max()) + 1 if dataset.n_rows else 0
        console.print(f"Rows clustered by {options.cluster_by}: {n_clusters} clusters", highlight=False)
    _print_attribution(logged, console=console)
    for line in refusal_lines(table):
        console.print(line, markup=False, style="yellow")
    if refused(table) and not options.allow_flagged:
        console.print("(--allow-flagged reports a flagged number where only a gate refused)", style="dim")


def _only(table: EstimateTable, names: Sequence[str]) -> EstimateTable:
    return EstimateTable(results={key: value for key, value in table.results.items() if key[1] in names})


def _compared(
    options: EstimateOptions,
    dataset: Dataset,
    config: EstimationConfig,
    chosen: Sequence[str],
    extra: ExtraInputs,
    *,
    console: Console,
) -> Compared:
    """``--compare A B``: the paired differences of the chosen estimators (printed), or nothing."""
    if options.compare is None:
        return []
    found = comparisons(
        dataset,
        options.compare,
        estimators=chosen,
        level=options.level,
        allow_flagged=options.allow_flagged,
        label_design=options.label_design,
        config=config,
        extra=extra,
    )
    for line in comparison_lines(options.compare, found):
        console.print(line, markup=False, highlight=False)
    return found


def _family(
    options: EstimateOptions,
    dataset: Dataset,
    config: EstimationConfig,
    chosen: Sequence[str],
    extra: ExtraInputs,
    targets: Sequence[str],
    *,
    console: Console,
) -> Family:
    """``--compare-to B``: every target minus B per chosen estimator, Holm-adjusted (printed), or nothing."""
    if options.compare_to is None:
        return []
    found = family_comparisons(
        dataset,
        [target for target in targets if target != options.compare_to],
        options.compare_to,
        estimators=chosen,
        level=options.level,
        allow_flagged=options.allow_flagged,
        label_design=options.label_design,
        config=config,
        extra=extra,
    )
    for line in family_lines(options.compare_to, found):
        console.print(line, markup=False, highlight=False)
    return found


def _write_report(
    options: EstimateOptions,
    dataset: Dataset,
    table: EstimateTable,
    targets: Sequence[str],
    config: EstimationConfig,
    compared: tuple[Compared, Family],
    chosen: Sequence[str],
    fresh_section: dict[str, object],
    *,
    console: Console,
) -> None:
    """The JSON report (with the label design, the cluster field, the comparison and the fresh draws)."""
    assert options.json_out is not None
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
        options={"label_design": options.label_design, "cluster_by": options.cluster_by or "prompt_id"},
    ).to_dict()
    if options.compare is not None:
        document["comparisons"] = [comparisons_json(options.compare, compared[0])]
    if options.compare_to is not None:
        document["comparison_family"] = family_json(options.compare_to, compared[1])
    document["fresh"] = cast("JsonValue", fresh_section)  # JSON-able: built from to_dict()s and plain values
    options.json_out.parent.mkdir(parents=True, exist_ok=True)
    options.json_out.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")
    console.print(f"report written to {options.json_out}")


def _print_attribution(table: EstimateTable, *, console: Console) -> None:
    """Where each calibrated estimate's uncertainty comes from (one line per target and estimator)."""
    shown = []
    for target, estimator, found in successes(table):
        attribution = variance_attribution(found)
        if attribution is not None:
            shown.append(f"  {target} [{estimator}]: {attribution.describe()}")
    if shown:
        console.print("Where the uncertainty comes from:")
        for line in shown:
            console.print(line, markup=False, highlight=False)
