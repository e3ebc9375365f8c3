"""``evaluate_estimators``: bias, RMSE, CI coverage and refusal rate over seeded replications.

Each replication draws a fresh logged dataset from a known-truth ``World``
(``simulate(..., via="arrays")``), runs every estimator on every target, and
compares each estimate with the policy's exact value. A refusal or error is
counted as such, never as a number.

>>> from cje_fp.simulation._worlds import WorldConfig, build_world
>>> world = build_world(WorldConfig(n_contexts=200, seed=3))
>>> report = evaluate_estimators(world, n=300, replications=3, estimators=("snips",), seed=1)
>>> row = report.get("clone", "snips")
>>> row.replications, row.n_estimates + row.n_refused + row.n_failed
(3, 3)
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
from returns.result import Failure, Success

from cje_fp.errors import sealed
from cje_fp.estimation import REFUSALS, EstimationConfig, EstimatorName, RewardSource, estimate_all
from cje_fp.simulation._worlds import FaultRates, World, simulate


@attrs.frozen(kw_only=True)
class EstimatorPerformance:
    """How one estimator did on one target over the replications."""

    target: str
    estimator: EstimatorName
    truth: float
    replications: int
    n_estimates: int
    n_refused: int
    n_failed: int
    bias: float | None
    """Mean of (estimate - truth) over the estimates; None when there were none."""
    rmse: float | None
    coverage: float | None
    """Fraction of CIs containing the truth."""
    mean_se: float | None
    sd: float | None
    """Standard deviation of the estimates across replications."""
    weight_calibration: Mapping[str, tuple[int, float]] = attrs.field(factory=dict)
    """Calibrated IPS only: per SIMCal status (``applied``, ``not_better``, ...), how many estimates
    had it and the coverage among them."""

    @property
    def refusal_rate(self) -> float:
        """Fraction of replications refused (insufficient overlap or informative missingness)."""
        return self.n_refused / self.replications

    def describe(self) -> str:
        """One line for humans."""
        if self.n_estimates == 0:
            return f"{self.target:>10} {self.estimator:<15} no estimates (refused {self.n_refused}, failed {self.n_failed})"
        statuses = "".join(
            f" {status} {count} (coverage {coverage:.2f})"
            for status, (count, coverage) in sorted(self.weight_calibration.items())
        )
        return (
            f"{self.target:>10} {self.estimator:<15} truth {self.truth:.4f} bias {self.bias:+.4f} "
            f"rmse {self.rmse:.4f} coverage {self.coverage:.3f} se {self.mean_se:.4f} sd {self.sd:.4f} "
            f"refused {self.refusal_rate:.2f} ({self.n_estimates}/{self.replications} estimates){statuses}"
        )

    def applied_share(self) -> float:
        """Fraction of the estimates whose weight calibration was applied (0 without estimates)."""
        applied = self.weight_calibration.get("applied", (0, 0.0))[0]
        return applied / self.n_estimates if self.n_estimates else 0.0


@attrs.frozen(kw_only=True)
class EvaluationReport:
    """Performance per (target, estimator)."""

    rows: tuple[EstimatorPerformance, ...]

    def get(self, target: str, estimator: EstimatorName) -> EstimatorPerformance:
        """The row for one pair."""
        for row in self.rows:
            if row.target == target and row.estimator == estimator:
                return row
        raise KeyError((target, estimator))

    def describe(self) -> str:
        """A table, one line per pair."""
        return "\n".join(row.describe() for row in self.rows)


def _summarise(
    target: str,
    estimator: EstimatorName,
    truth: float,
    replications: int,
    values: list[float],
    ses: list[float],
    covered: list[bool],
    refused: int,
    failed: int,
    statuses: list[str],
) -> EstimatorPerformance:
    array = np.asarray(values)
    has = array.size > 0
    by_status: dict[str, tuple[int, float]] = {}
    for status, count in Counter(statuses).items():
        hits = [hit for hit, seen in zip(covered, statuses, strict=True) if seen == status]
        by_status[status] = (count, float(np.mean(hits)))
    return EstimatorPerformance(
        target=target,
        estimator=estimator,
        truth=truth,
        replications=replications,
        n_estimates=int(array.size),
        n_refused=refused,
        n_failed=failed,
        bias=float(np.mean(array - truth)) if has else None,
        rmse=float(math.sqrt(np.mean((array - truth) ** 2))) if has else None,
        coverage=float(np.mean(covered)) if has else None,
        mean_se=float(np.mean(ses)) if has else None,
        sd=float(np.std(array, ddof=1)) if array.size > 1 else None,
        weight_calibration=by_status,
    )


def evaluate_estimators(
    world: World,
    *,
    n: int,
    replications: int,
    estimators: Sequence[EstimatorName] = ("ips", "snips", "calibrated-ips"),
    targets: Sequence[str] | None = None,
    seed: int = 0,
    oracle_fraction: float = 0.25,
    faults: FaultRates = FaultRates(),
    reward: RewardSource = "auto",
    level: float = 0.95,
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
) -> EvaluationReport:
    """Run ``estimators`` on ``replications`` fresh datasets of ``n`` rows; compare with the truth."""
    names = world.target_names if targets is None else tuple(targets)
    keys = [(target, estimator) for target in names for estimator in estimators]
    values: dict[tuple[str, EstimatorName], list[float]] = {key: [] for key in keys}
    ses: dict[tuple[str, EstimatorName], list[float]] = {key: [] for key in keys}
    covered: dict[tuple[str, EstimatorName], list[bool]] = {key: [] for key in keys}
    statuses: dict[tuple[str, EstimatorName], list[str]] = {key: [] for key in keys}
    refused = dict.fromkeys(keys, 0)
    failed = dict.fromkeys(keys, 0)
    for replication in range(replications):
        simulation = simulate(
            world, n, seed + replication, oracle_fraction=oracle_fraction, faults=faults, via="arrays"
        )
        table = estimate_all(
            simulation.dataset,
            estimators=estimators,
            targets=names,
            level=level,
            reward=reward,
            allow_flagged=allow_flagged,
            config=config,
        )
        for target, estimator, result in table:
            key = (target, estimator)
            match sealed(result):
                case Success(estimate):
                    truth = world.truth[target]
                    values[key].append(estimate.value)
                    ses[key].append(estimate.se)
                    covered[key].append(estimate.ci[0] <= truth <= estimate.ci[1])
                    calibration = estimate.diagnostics.weight_calibration
                    if calibration is not None:
                        statuses[key].append(calibration.status)
                case Failure(error):
                    if isinstance(error, REFUSALS):
                        refused[key] += 1
                    else:
                        failed[key] += 1
    return EvaluationReport(
        rows=tuple(
            _summarise(
                target, estimator, world.truth[target], replications,
                values[(target, estimator)], ses[(target, estimator)], covered[(target, estimator)],
                refused[(target, estimator)], failed[(target, estimator)], statuses[(target, estimator)],
            )
            for target, estimator in keys
        )
    )
