"""Issue 11's known-truth study: coverage, bias, refusals, needless refusals and confident misses per world.

    python benchmarks/study_honest_inference.py --replications 400
    python benchmarks/study_honest_inference.py --replications 50 --scenarios families few-labels

Each scenario (``cje_fp.simulation.SCENARIO_NAMES``) is replicated with fresh
seeds and analysed by each method: ``default`` is ``estimate_all`` as a user
calls it; ``old-gates`` restores the two gates issue 11 turned into warnings
(ESS fraction < 0.1, top-5% concentration); the others declare a label design or
cluster by family. Prints one line per (scenario, method, target, estimator), a
pooled line per (scenario, method, estimator), and, for a run of every
scenario, issue 11's criteria with "met" or "MISSED".
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from cje_fp.estimation import EstimationConfig, EstimatorName
from cje_fp.estimation.diagnostics import GateThresholds
from cje_fp.simulation._scenarios import SCENARIO_NAMES, scenario_named
from cje_fp.simulation._study import (
    Method,
    StudyResult,
    default_method,
    design_method,
    family_method,
    run_study,
)

ESTIMATORS: tuple[EstimatorName, ...] = ("snips", "calibrated-ips", "ips")

OLD_GATES = EstimationConfig(gates=GateThresholds(refuse_low_ess_fraction=True, refuse_concentration=True))

#: Worlds without label selection or duplication (the confident-miss criterion applies to these).
CLEAN_WORLDS = ("random-labels", "overlap-moderate", "overlap-low", "heavy-tails", "few-labels")


def criteria(results: dict[tuple[str, str], StudyResult]) -> list[tuple[str, bool]]:
    """Issue 11's "done when" checks on the pooled results (snips and calibrated-ips; IPS is reported)."""
    checks: list[tuple[str, bool]] = []
    for estimator in ("snips", "calibrated-ips"):
        for design in ("by_judge_score", "known_propensity"):
            pooled = results[("label-selection", design)].pooled(estimator)
            checks.append((f"label selection, {design}, {estimator}: coverage {pooled.coverage:.3f} >= 0.90",
                           pooled.coverage >= 0.90))
        flagged = results[("label-selection", "default")].pooled(estimator).refusal_rate
        checks.append((f"label check flags selection ({estimator}): {flagged:.3f} >= 0.90", flagged >= 0.90))
        false_alarms = results[("random-labels", "default")].pooled(estimator).refusal_rate
        checks.append((f"label check on random labels ({estimator}): {false_alarms:.3f} <= 0.02", false_alarms <= 0.02))
        needless = max(results[(name, "default")].pooled(estimator).needless_refusals
                       for name in ("overlap-moderate", "overlap-low"))
        checks.append((f"moderate overlap, refused but would have covered ({estimator}): max {needless:.3f} <= 0.10",
                       needless <= 0.10))
        wrong = max(results[(name, "default")].pooled(estimator).confidently_wrong for name in CLEAN_WORLDS)
        worlds = f"worlds without selection or duplication ({estimator})"
        checks.append((f"confidently wrong, {worlds}: max {wrong:.3f} <= 0.07", wrong <= 0.07))
        families = results[("families", "cluster_by_family")].pooled(estimator).coverage
        checks.append((f"families clustered by family ({estimator}): coverage {families:.3f} >= 0.93",
                       families >= 0.93))
        few = results[("few-labels", "default")].pooled(estimator).coverage
        checks.append((f"15 labels ({estimator}): coverage {few:.3f} >= 0.93", few >= 0.93))
    return checks


def methods(scenario: str, estimators: Sequence[EstimatorName]) -> dict[str, Method]:
    """The analyses compared on ``scenario``: the defaults, and the fixes that apply to it."""
    found: dict[str, Method] = {"default": default_method(estimators)}
    if scenario in ("overlap-moderate", "overlap-low", "heavy-tails"):
        found["old-gates"] = default_method(estimators, OLD_GATES)
    if scenario in ("label-selection", "random-labels"):
        found["by_judge_score"] = design_method(estimators, "by_judge_score")
        found["known_propensity"] = design_method(estimators, "known_propensity")
    if scenario == "families":
        found["cluster_by_family"] = family_method(estimators)
    return found


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--seed", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the logged rows (smoke runs)")
    parser.add_argument("--scenarios", nargs="*", default=list(SCENARIO_NAMES))
    parser.add_argument("--methods", nargs="*", default=None)
    parser.add_argument("--details", action="store_true", help="print refusal reasons and errors")
    args = parser.parse_args(argv)
    results: dict[tuple[str, str], StudyResult] = {}
    for name in args.scenarios:
        scenario = scenario_named(name, scale=args.scale)
        print(f"# {name}: {scenario.description}; {scenario.size} {scenario.sampling}; truth "
              + ", ".join(f"{k}={v:.4f}" for k, v in sorted(scenario.truth.items())))
        for method_name, method in methods(name, ESTIMATORS).items():
            if args.methods and method_name not in args.methods:
                continue
            start = time.perf_counter()
            result = run_study(scenario, method, replications=args.replications, seed=args.seed)
            elapsed = time.perf_counter() - start
            results[(name, method_name)] = result
            for (target, estimator), row in sorted(result.rows.items()):
                print(f"{name:>16} {method_name:<12} {target:>9} {estimator:<15} {row.describe()}")
                if args.details and (row.refusal_reasons or row.errors):
                    shown = {key: f"{n} (covered {c / n:.2f})" for key, (n, c) in sorted(row.reason_coverage.items())}
                    print(" " * 30, shown, row.errors)
            for estimator in ESTIMATORS:
                pooled = result.pooled(estimator)
                if pooled.attempts:
                    print(f"{name:>16} {method_name:<12} {'(all)':>9} {estimator:<15} "
                          f"coverage {pooled.coverage:.3f} refused {pooled.refusal_rate:.3f} "
                          f"(would cover {pooled.needless_refusals:.3f}) confidently wrong "
                          f"{pooled.confidently_wrong:.3f} failed {pooled.failed}/{pooled.attempts}")
            print(f"# {name} {method_name}: {args.replications} replications in {elapsed:.1f} s", flush=True)
    if set(SCENARIO_NAMES) <= set(args.scenarios) and not args.methods:
        print("# issue 11 criteria")
        for description, met in criteria(results):
            print(f"{'met   ' if met else 'MISSED'} {description}")


if __name__ == "__main__":
    main()
