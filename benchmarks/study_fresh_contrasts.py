"""Known-truth study of paired contrasts of the fresh-draw estimators, through ``compare_all``.

Run: ``python benchmarks/study_fresh_contrasts.py`` (400 replications per world
and estimator; about 40 s each on one core). ``--replications N``,
``--world NAME`` and ``--estimator NAME`` (repeatable) choose less. Each
replication becomes a ``Dataset`` and ``FreshData`` (every policy's draws, the
base policy's included, and probe slices), and ``compare_all`` gives every
target minus the base policy's draws with the chosen estimator. Prints per
target the coverage of the 95% interval of the contrast (the truth is
``truth(target) - truth(base)``), its bias and refusals by kind, and how often
every Holm-adjusted (simultaneous) interval of a replication covered at once;
then the checks (contrast coverage in [0.92, 0.98] and |bias| < 0.01 where at
least 20 contrasts were reported; family-wise coverage at least 0.93), exit 1
if any fails. The style world is also run with the probe correction (its
``stylish`` target is refused without it).
"""

from __future__ import annotations

import argparse
import sys
import time

from cje_fp.estimation import FreshOptions
from cje_fp.simulation import FAR, NEAR, STYLE
from cje_fp.simulation._fresh_contrasts import ContrastStudy, evaluate_contrasts

WORLDS = {"near": NEAR, "far": FAR, "style": STYLE}
COVERAGE = (0.92, 0.98)
MAX_BIAS = 0.01
MIN_FAMILY = 0.93


def checks(study: ContrastStudy, label: str) -> list[tuple[str, bool]]:
    """The acceptance checks of one study."""
    found = []
    for name, reported in study.reported.items():
        coverage = study.coverage(name)
        if reported < 20 or coverage is None:
            continue
        low, high = COVERAGE
        found.append((f"{label}/{name} coverage {coverage:.3f} in {COVERAGE}", low <= coverage <= high))
        bias = study.errors[name]
        found.append((f"{label}/{name} |bias| {abs(bias):.4f} < {MAX_BIAS}", abs(bias) < MAX_BIAS))
    family = study.family_coverage
    if family is not None:
        found.append((f"{label} family-wise coverage {family:.3f} >= {MIN_FAMILY}", family >= MIN_FAMILY))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=400)
    parser.add_argument("--world", action="append", choices=sorted(WORLDS))
    parser.add_argument("--estimator", action="append", choices=("direct", "dr", "tmle", "stacked-dr"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    results: list[tuple[str, bool]] = []
    for world_name in args.world or ["near", "far", "style"]:
        for estimator in args.estimator or ["stacked-dr", "direct", "dr"]:
            variants = (False, True) if world_name == "style" else (False,)
            for probe in variants:
                started = time.perf_counter()
                study = evaluate_contrasts(
                    WORLDS[world_name], estimator=estimator, replications=args.replications, seed=args.seed,
                    options=FreshOptions(probe_correction=probe),
                )
                label = f"{world_name}/{estimator}{'+probe' if probe else ''}"
                print(f"{study.describe()}{' (probe-corrected)' if probe else ''} [{time.perf_counter() - started:.0f}s]")
                results.extend(checks(study, label))
    failed = [line for line, ok in results if not ok]
    for line, ok in results:
        print(("PASS " if ok else "FAIL ") + line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
