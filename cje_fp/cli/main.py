"""``cje-fp``: argument parsing and dispatch. Exit codes (every command; ``ExitCode``): 0 the
command did its job (refusals and failed cells are results, listed), 1 invalid data or a refusal
under ``--fail-on-refusal``, 2 usage or configuration error or an output file that is not ours
(in use, not writable), 3 fatal backend, 130 interrupted (Ctrl-C)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.console import Console

from cje_fp._plugins import estimator_names
from cje_fp.cli.logs import configure_logging, restored_logging
from cje_fp.cli.outcome import ExitCode, report

if TYPE_CHECKING:
    from cje_fp.estimation import LabelDesign

# The registry's names, read from its folder: ``--help`` and argument errors do not import the
# estimators (numpy, scipy).
ESTIMATOR_CHOICES = estimator_names()

#: ``cje_fp.estimation.LABEL_DESIGNS``, spelled out so that ``--help`` imports no numpy (a test checks).
LABEL_DESIGN_CHOICES = ("random", "by_judge_score", "known_propensity")


def _level(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"the level must be in (0, 1), got {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line, with one subcommand per job."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--verbose", action="store_true", help="show details of errors and the library's log (DEBUG)")
    common.add_argument("--quiet", action="store_true", help="print nothing but errors (log level ERROR)")
    parser = argparse.ArgumentParser(
        prog="cje-fp",
        description="Causal judge evaluation where a failure is never a number.",
        epilog="Exit codes: 0 the command did its job (refusals and failed cells are results), 1 invalid "
        "data or a refusal under --fail-on-refusal, 2 usage or configuration error or an output file that "
        "is not ours, 3 fatal backend (unreachable, refusing us, without the model, or failing cell after "
        "cell), 130 interrupted.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", parents=[common], help="the whole pipeline on a simulated scenario, offline")
    demo.add_argument("--seed", type=int, default=0, help="scenario seed (default 0)")
    demo.add_argument("--rows", type=_positive, default=2000, help="logged rows to simulate (default 2000)")
    demo.add_argument("--plot", type=Path, metavar="DIR", help="write figures into DIR")

    estimate = commands.add_parser("estimate", parents=[common], help="estimate every target policy's value")
    estimate.add_argument("scored", type=Path, metavar="SCORED", help="scored JSONL (the CJE format)")
    estimate.add_argument(
        "--estimator",
        action="append",
        choices=ESTIMATOR_CHOICES,
        help="estimator to run (repeatable; default auto: stacked-dr when fresh draws exist, else snips and calibrated-ips)",
    )
    estimate.add_argument("--target", action="append", help="target policy (repeatable; default: all)")
    estimate.add_argument("--level", type=_level, default=0.95, help="confidence level (default 0.95)")
    estimate.add_argument(
        "--allow-flagged", action="store_true", help="report flagged numbers where overlap gates would refuse"
    )
    estimate.add_argument(
        "--lenient", action="store_true", help="exclude bad rows instead of failing (prints each one and why)"
    )
    estimate.add_argument(
        "--label-design",
        choices=LABEL_DESIGN_CHOICES,
        default="random",
        help="how oracle labels were chosen: random (default; checked), by_judge_score (chance of a label "
        "depends on the judge score), known_propensity (each row's oracle_label_propensity)",
    )
    estimate.add_argument(
        "--cluster-by",
        metavar="FIELD",
        help="cluster rows by FIELD (e.g. metadata.family for near-duplicate prompts, or prompt_id); "
        "repeated prompt ids are then clustered instead of rejected",
    )
    estimate.add_argument(
        "--compare", nargs=2, metavar=("A", "B"),
        help="paired difference A - B for each estimator (B may be 'base'), same gates"
    )
    estimate.add_argument(
        "--compare-to", metavar="B",
        help="every target minus B for each estimator (B may be 'base'), Holm-adjusted among the targets",
    )
    estimate.add_argument(
        "--fail-on-refusal", action="store_true", help="exit 1 when any estimate or comparison is refused"
    )
    estimate.add_argument(
        "--json", "-o", "--output", dest="json", type=Path, metavar="OUT", help="write the JSON report to OUT"
    )
    estimate.add_argument(
        "--judge-field", default="judge_score", metavar="NAME", help="field of the judge score (default judge_score)"
    )
    estimate.add_argument(
        "--oracle-field", default="oracle_label", metavar="NAME", help="field of the oracle label (default oracle_label)"
    )
    estimate.add_argument("--plot", type=Path, metavar="DIR", help="write figures into DIR")
    estimate.add_argument("--fresh-draws", type=Path, metavar="DIR",
                          help="fresh draws (<policy>_responses.jsonl; default: fresh_draws/ beside SCORED)")
    estimate.add_argument("--probe", type=Path, metavar="DIR",
                          help="probe slices (<policy>_probe.jsonl; default: probe_slice/ beside SCORED)")
    estimate.add_argument("--calibration-covariate", choices=("response_length",),
                          help="stratify the fresh-draw reward model's residual cells by this covariate too")
    estimate.add_argument("--probe-correction", action="store_true",
                          help="add the probe slice's mean residual (needed where the transport audit FAILs)")

    commands.add_parser("estimators", parents=[common], help="list the registered estimators")

    validate = commands.add_parser("validate", parents=[common], help="list every problem of a data file")
    validate.add_argument("data", type=Path, metavar="DATA")

    score = commands.add_parser(
        "score", parents=[common], help="log probs under every configured policy (resumable)"
    )
    score.add_argument("config", type=Path, metavar="CONFIG", help="TOML config of the policies")
    score.add_argument("data", type=Path, metavar="DATA", help="JSONL rows with prompt and response")
    score.add_argument(
        "--out",
        type=Path,
        metavar="SCORED",
        required=True,
        help="scored JSONL (appended, resumable); a .parquet SCORED is written at the end from a JSONL journal beside it",
    )
    score.add_argument("--retry-failed", action="store_true", help="recompute cells that failed in earlier runs")
    score.add_argument(
        "--no-probe",
        action="store_true",
        help="skip the probe of each endpoint before scoring (a few requests that refuse a server giving "
        "wrong log probs and notice another model behind the same name on resume); only for servers verified otherwise",
    )
    score.add_argument(
        "--ray",
        nargs="?",
        const="",
        default=None,
        metavar="ADDRESS",
        help="score on Ray (the ray extra): a cluster's ADDRESS (auto, host:6379), or without one RAY_ADDRESS "
        "or a local instance started for this run",
    )
    score.add_argument("--ray-workers", type=int, metavar="N", help="scoring actors on Ray (default: one per CPU)")
    score.add_argument(
        "--ray-batch-rows", type=int, default=64, metavar="N", help="rows per call of a Ray scoring actor (default 64)"
    )

    doctor = commands.add_parser("doctor", parents=[common], help="probe the configured endpoints")
    doctor.add_argument("config", type=Path, metavar="CONFIG")

    importer = commands.add_parser("import", help="other tools' per-sample logs as CJE JSONL")
    kinds = importer.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind, source, field in (
        ("lm-eval", "lm-evaluation-harness --log_samples file (samples_<task>_<date>.jsonl)", "metric"),
        ("inspect", "Inspect AI eval log (.json or .eval)", "scorer"),
    ):
        parser_of_kind = kinds.add_parser(kind, parents=[common], help=source)
        parser_of_kind.add_argument("source", type=Path, metavar="FILE", help=source)
        parser_of_kind.add_argument("--out", type=Path, metavar="OUT", required=True, help="CJE JSONL to write")
        parser_of_kind.add_argument("--judge-field", metavar=field.upper(), help=f"{field} that becomes judge_score")
        parser_of_kind.add_argument("--oracle-field", metavar=field.upper(), help=f"{field} that becomes oracle_label")
        if kind == "lm-eval":
            parser_of_kind.add_argument("--task", help="task name (default: from the file name)")

    page = commands.add_parser("report", parents=[common], help="a JSON report as one self-contained HTML page")
    page.add_argument("report", type=Path, metavar="REPORT", help="JSON report written by estimate --json")
    page.add_argument("--html", type=Path, metavar="OUT", required=True, help="the HTML page to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (130 with one line when interrupted by Ctrl-C)."""
    try:
        with restored_logging():
            return _main(argv)
    except KeyboardInterrupt:
        # ``score`` handles Ctrl-C itself (saying how to resume); this is every other moment
        sys.stderr.write("interrupted (Ctrl-C); re-run the command (cje-fp score resumes where it stopped)\n")
        return int(ExitCode.INTERRUPTED)


def _main(argv: Sequence[str] | None) -> int:
    arguments = build_parser().parse_args(argv)
    configure_logging(verbose=arguments.verbose, quiet=arguments.quiet)
    console = Console(
        highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120, quiet=arguments.quiet
    )
    errors = Console(stderr=True, highlight=False, soft_wrap=True, width=None if sys.stderr.isatty() else 120)
    verbose: bool = arguments.verbose
    match arguments.command:
        case "demo":
            from cje_fp.cli.demo import run_demo

            return run_demo(seed=arguments.seed, n=arguments.rows, plot_dir=arguments.plot, console=console, errors=errors)
        case "estimate":
            from cje_fp.cli.estimate import EstimateOptions, run_estimate
            estimate_options = EstimateOptions(
                path=arguments.scored,
                estimators=tuple(cast(list[str], arguments.estimator or ["auto"])),
                targets=tuple(arguments.target) if arguments.target else None,
                level=arguments.level,
                allow_flagged=arguments.allow_flagged,
                lenient=arguments.lenient,
                json_out=arguments.json,
                plot_dir=arguments.plot,
                fresh_dir=arguments.fresh_draws,
                probe_dir=arguments.probe,
                probe_correction=arguments.probe_correction,
                calibration_covariate=arguments.calibration_covariate,
                judge_field=arguments.judge_field,
                oracle_field=arguments.oracle_field,
                label_design=cast("LabelDesign", arguments.label_design),
                cluster_by=arguments.cluster_by,
                fail_on_refusal=arguments.fail_on_refusal,
                compare=None if arguments.compare is None else (arguments.compare[0], arguments.compare[1]),
                compare_to=arguments.compare_to,
            )
            return run_estimate(estimate_options, console=console, errors=errors, verbose=verbose)
        case "estimators":
            from cje_fp.estimation.estimators import estimators_markdown

            console.print(estimators_markdown(), markup=False, highlight=False)
            return 0
        case "validate":
            from cje_fp.cli.validate import run_validate

            return run_validate(arguments.data, console=console, errors=errors, verbose=verbose)
        case "score":
            return _score(arguments, console=console, errors=errors, verbose=verbose)
        case "doctor":
            from cje_fp.cli.doctor import run_doctor

            return run_doctor(arguments.config, console=console, errors=errors, verbose=verbose)
        case "import":
            from cje_fp.cli.importers import ImportOptions, run_import

            import_options = ImportOptions(
                kind=arguments.kind,
                source=arguments.source,
                out=arguments.out,
                task=getattr(arguments, "task", None),
                judge_field=arguments.judge_field,
                oracle_field=arguments.oracle_field,
            )
            return run_import(import_options, console=console, errors=errors, verbose=verbose)
        case "report":
            from cje_fp.cli.report import run_report

            return run_report(arguments.report, html_out=arguments.html, console=console, errors=errors, verbose=verbose)
        case _:
            raise AssertionError(f"unhandled command {arguments.command}")


def _score(arguments: argparse.Namespace, *, console: Console, errors: Console, verbose: bool) -> int:
    """``score``: into SCORED, or into a JSONL journal beside a ``.parquet`` SCORED, written at the end."""
    from cje_fp.cli.score import ScoreOptions, run_score
    from cje_fp.cli.scored_parquet import finish_parquet, journal_for, parquet_missing

    if (missing := parquet_missing(arguments.out)) is not None:
        return report(missing, errors, verbose=verbose)
    journal = journal_for(arguments.out)
    options = ScoreOptions(
        config=arguments.config,
        data=arguments.data,
        out=journal,
        retry_failed=arguments.retry_failed,
        probe=not arguments.no_probe,
        ray=arguments.ray,
        ray_workers=arguments.ray_workers,
        ray_batch_rows=arguments.ray_batch_rows,
    )
    scored = run_score(options, console=console, errors=errors, verbose=verbose)
    if scored != ExitCode.OK or journal == arguments.out:
        return scored
    return finish_parquet(arguments.out, journal, console=console, errors=errors)


def entry_point() -> None:
    """The console script."""
    sys.exit(main())
