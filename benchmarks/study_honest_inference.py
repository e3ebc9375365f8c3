"""Issue 11's known-truth study: coverage, bias, refusals, needless refusals and confident misses per world.

    python benchmarks/study_honest_inference.py --replications 400
    python benchmarks/study_honest_inference.py --replications 50 --scenarios families few-labels

Each scenario (``cje_fp.simulation.SCENARIO_NAMES``) is replicated with fresh
seeds and analysed by each method: ``today`` is ``estimate_all`` with default
settings; the other methods are the fixes (label design, clustering by family,
...). Prints one line per (scenario, method, target, estimator) and a pooled
line per (scenario, method, estimator).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from cje_fp.estimation import EstimatorName
from cje_fp.simulation._scenarios import SCENARIO_NAMES, scenario_named
from cje_fp.simulation._study import Method, default_method, design_method, family_method, run_study

ESTIMATORS: tuple[EstimatorName, ...] = ("snips", "calibrated-ips", "ips")


def methods(scenario: str, estimators: Sequence[EstimatorName]) -> dict[str, Method]:
    """The analyses compared on ``scenario``: the defaults, and the fixes that apply to it."""
    found: dict[str, Method] = {"default": default_method(estimators)}
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


if __name__ == "__main__":
    main()
