"""``evaluate_fresh``: coverage, bias, refusal and audit FAIL rates of fresh-draw estimators by simulation.

Each replication draws a world's data (``fresh_simulation.draw_replication``),
fits the reward model once (the same prompt folds throughout) and runs every
requested (estimator, probe correction) variant on every target through
``run_fresh``, the function the library's API calls. A refusal counts as
neither covered nor missed; its rate is reported by kind.

>>> from cje_fp.simulation._fresh_worlds import FreshTarget, FreshWorld
>>> world = FreshWorld(name="w", n_prompts=300, targets=(FreshTarget(name="t", quality_shift=0.3),))
>>> report = evaluate_fresh(world, replications=3, seed=0, variants=(("direct", False),))
>>> row = report.rows[("t", "direct")]
>>> row.replications, row.n_estimates + sum(row.refusals.values())
(3, 3)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
from returns.result import Failure, Success

from cje_fp.errors import sealed
from cje_fp.estimation._audits import transport_audit
from cje_fp.estimation._fresh_core import FreshArrays, direct
from cje_fp.estimation._fresh_reward import RewardModel, fit_reward_model
from cje_fp.estimation._fresh_run import FreshEstimatorName, FreshOptions, run_fresh
from cje_fp.simulation._fresh_worlds import (
    FreshWorld,
    Replication,
    draw_replication,
    ess_fraction,
    world_folds,
)

Variant = tuple[FreshEstimatorName, bool]
"""An estimator and whether the probe correction is on."""

DEFAULT_VARIANTS: tuple[Variant, ...] = (
    ("direct", False),
    ("dr", False),
    ("tmle", False),
    ("stacked-dr", False),
    ("direct", True),
    ("stacked-dr", True),
)


def variant_name(variant: Variant) -> str:
    """``direct`` or ``direct+probe``."""
    estimator, probe = variant
    return f"{estimator}+probe" if probe else estimator


@attrs.frozen(kw_only=True)
class FreshPerformance:
    """One (target, variant) over the replications."""

    target: str
    variant: str
    truth: float
    replications: int
    n_estimates: int
    refusals: Mapping[str, int]
    coverage: float | None
    bias: float | None
    rmse: float | None
    mean_se: float | None
    sd: float | None

    @property
    def refusal_rate(self) -> float:
        """Share of replications without a number."""
        return sum(self.refusals.values()) / self.replications

    def describe(self) -> str:
        """One line for humans."""
        refused = f"refused {self.refusal_rate:.3f}" + (
            f" ({', '.join(f'{kind} {count}' for kind, count in sorted(self.refusals.items()))})"
            if self.refusals else ""
        )
        if self.n_estimates == 0:
            return f"{self.target:>12} {self.variant:<17} truth {self.truth:.4f} no estimates; {refused}"
        return (
            f"{self.target:>12} {self.variant:<17} truth {self.truth:.4f} coverage {self.coverage:.3f} "
            f"bias {self.bias:+.4f} rmse {self.rmse:.4f} se {self.mean_se:.4f} sd {self.sd:.4f} {refused}"
        )


@attrs.frozen(kw_only=True)
class FreshStudy:
    """Every (target, variant) row, the transport audit's verdicts and the targets' ESS fractions."""

    world: str
    replications: int
    rows: Mapping[tuple[str, str], FreshPerformance]
    audit_counts: Mapping[str, Mapping[str, int]]
    """Per target: how many replications the transport audit gave each status."""
    mean_ess_fraction: Mapping[str, float]

    def fail_rate(self, target: str) -> float:
        """Share of replications whose transport audit FAILed for ``target``."""
        return self.audit_counts[target].get("FAIL", 0) / self.replications

    def describe(self) -> str:
        """A block of lines for humans."""
        lines = [f"world {self.world}: {self.replications} replications"]
        for target, counts in self.audit_counts.items():
            audit = ", ".join(f"{status} {count / self.replications:.3f}" for status, count in sorted(counts.items()))
            lines.append(f"  {target}: ESS fraction {self.mean_ess_fraction[target]:.4f}; transport audit {audit}")
        lines.extend("  " + row.describe() for row in self.rows.values())
        return "\n".join(lines)


def replication_arrays(replication: Replication, target: str, *, covariate: bool = False) -> FreshArrays:
    """One target's arrays from a replication (``covariate``: with the style feature as covariate)."""
    labelled = replication.labelled
    return FreshArrays(
        n_clusters=replication.n_prompts,
        cluster_folds=replication.cluster_folds,
        label_clusters=np.flatnonzero(labelled).astype(np.int64),
        label_log_weights=replication.log_weights[target][labelled] if target in replication.log_weights else None,
        draw_clusters=replication.draw_clusters,
        draw_judge=replication.draw_judge[target],
        probe_clusters=replication.probe_clusters[target],
        probe_judge=replication.probe_judge[target],
        probe_oracle=replication.probe_oracle[target],
        draw_covariate=replication.draw_style[target] if covariate else None,
        probe_covariate=replication.probe_style[target] if covariate else None,
    )


def replication_model(replication: Replication, *, covariate: bool = False) -> RewardModel | None:
    """The reward model of a replication (None when too few labels); ``covariate``: residual cells
    stratified by the style feature (calibration with a covariate)."""
    labelled = replication.labelled
    fitted = fit_reward_model(
        replication.logged_judge[labelled],
        replication.logged_oracle[labelled],
        replication.cluster_folds[labelled],
        n_folds=5,
        covariate=replication.logged_style[labelled] if covariate else None,
    )
    return fitted.value_or(None)


def evaluate_fresh(
    world: FreshWorld,
    *,
    replications: int,
    seed: int,
    variants: Sequence[Variant] = DEFAULT_VARIANTS,
    options: FreshOptions = FreshOptions(),
    covariate: bool = False,
) -> FreshStudy:
    """Run ``replications`` seeded replications of ``world``; summarise each (target, variant).

    ``covariate``: calibrate with the style feature as a covariate (residual cells per feature value).
    """
    folds = world_folds(world)
    names = [target.name for target in world.targets]
    values: dict[tuple[str, str], list[tuple[float, float, float, float]]] = {}
    refusals: dict[tuple[str, str], Counter[str]] = {}
    audits: dict[str, Counter[str]] = {name: Counter() for name in names}
    ess: dict[str, list[float]] = {name: [] for name in names}
    for index in range(replications):
        replication = draw_replication(world, seed=seed * 100_003 + index, folds=folds)
        model = replication_model(replication, covariate=covariate)
        for name in names:
            ess[name].append(ess_fraction(replication.log_weights[name]))
            if model is None:
                for variant in variants:
                    refusals.setdefault((name, variant_name(variant)), Counter())["too_few_oracle_labels"] += 1
                continue
            arrays = replication_arrays(replication, name, covariate=covariate)
            audit = transport_audit(model, arrays, direct(model, arrays), options.transport)
            audits[name]["none" if audit is None else audit.status] += 1
            for variant in variants:
                key = (name, variant_name(variant))
                estimator, probe = variant
                outcome = run_fresh(model, arrays, estimator, attrs.evolve(options, probe_correction=probe), target=name)
                match sealed(outcome):
                    case Success(run):
                        low, high = run.interval.ci
                        values.setdefault(key, []).append((run.run.value, run.interval.se, low, high))
                    case Failure(error):
                        refusals.setdefault(key, Counter())[error.kind] += 1
    rows = {}
    for name in names:
        truth = world.truth(name)
        for variant in variants:
            key = (name, variant_name(variant))
            rows[key] = _performance(name, variant_name(variant), truth, replications, values.get(key, []),
                                     refusals.get(key, Counter()))
    return FreshStudy(
        world=world.name + ("+covariate" if covariate else ""),
        replications=replications,
        rows=rows,
        audit_counts={name: dict(counts) for name, counts in audits.items()},
        mean_ess_fraction={name: float(np.mean(fractions)) for name, fractions in ess.items()},
    )


def _performance(
    target: str,
    variant: str,
    truth: float,
    replications: int,
    found: list[tuple[float, float, float, float]],
    refused: Counter[str],
) -> FreshPerformance:
    if not found:
        return FreshPerformance(target=target, variant=variant, truth=truth, replications=replications, n_estimates=0,
                                refusals=dict(refused), coverage=None, bias=None, rmse=None, mean_se=None, sd=None)
    table = np.array(found)
    estimates, ses, lows, highs = table.T
    errors = estimates - truth
    return FreshPerformance(
        target=target,
        variant=variant,
        truth=truth,
        replications=replications,
        n_estimates=len(found),
        refusals=dict(refused),
        coverage=float(np.mean((lows <= truth) & (truth <= highs))),
        bias=float(errors.mean()),
        rmse=float(np.sqrt(np.mean(errors**2))),
        mean_se=float(ses.mean()),
        sd=float(estimates.std(ddof=1)) if len(found) > 1 else 0.0,
    )
