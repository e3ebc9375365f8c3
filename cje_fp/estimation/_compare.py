"""``compare``: the paired difference between two policies' values on the rows both can use.

For a fresh-draw estimator (``ExtraInputs.fresh``) the two sides share the
reward model and the prompt clusters, and the base policy's side uses its own
draws (``base_responses.jsonl``); the difference's influence is paired by prompt.

>>> from cje_fp.data._dataset import Dataset
>>> data = Dataset.from_arrays(
...     prompt_ids=[f"p{i}" for i in range(100)], base_log_prob=[-2.0] * 100,
...     target_log_probs={"same": [-2.0] * 100}, oracle_label=[float(i % 2) for i in range(100)],
... )
>>> compare(data, "same").map(lambda c: (abs(c.difference) < 1e-12, c.baseline))
<Success: (True, '<base>')>
"""

from __future__ import annotations

from functools import partial
from typing import Final

import attrs
from returns.result import Failure, Result, Success
from scipy.stats import t as student_t

from cje_fp.data import Dataset
from cje_fp.estimation._calibration import Calibration
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._design import resolve_design
from cje_fp.estimation._errors import EstimationError, InsufficientOverlap
from cje_fp.estimation._finite import finite_comparison
from cje_fp.estimation._fresh_core import ComponentRun, Part, run_interval
from cje_fp.estimation._label_design import LabelDesign
from cje_fp.estimation._prepare import (
    Prepared,
    check_options,
    check_target,
    label_refusal,
    prepare,
    refusal,
    run_estimator,
    shared_fresh,
)
from cje_fp.estimation._results import Comparison, RewardSource
from cje_fp.estimation._rewards import Fitted
from cje_fp.estimation._uncertainty import difference
from cje_fp.estimation.diagnostics import (
    GateStatus,
    evaluate_gates,
    overlap_diagnostics,
)
from cje_fp.estimation.estimators import (
    Estimator,
    EstimatorName,
    EstimatorRun,
    ExtraInputs,
    OwnedRun,
    on_policy,
)
from cje_fp.io._fresh_draws import BASE_DRAWS

#: How ``compare`` names the logging policy.
BASE: Final = "<base>"


def compare(
    dataset: Dataset,
    target: str,
    baseline: str = BASE,
    *,
    estimator: EstimatorName = "snips",
    level: float = 0.95,
    reward: RewardSource = "auto",
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
    calibration: Calibration | None = None,
    extra: ExtraInputs = ExtraInputs(),
    label_design: LabelDesign = "random",
) -> Result[Comparison, EstimationError]:
    """The paired difference ``value(target) - value(baseline)`` on rows both can use.

    ``baseline`` is another target policy or ``BASE`` (the logging policy, whose
    value is the mean reward of the rows). Both sides share rows, clusters,
    jackknife groups, calibration folds and labelled residuals, so their errors
    cancel where they are shared. Both policies' overlap gates apply, and the
    missingness check covers every row the comparison cannot use (for either
    policy); ``flagged`` is set when any of them would have refused.
    """
    checks = check_options(level, estimator, reward, extra).bind(
        lambda found: check_target(dataset, target).map(lambda _: found)
    )
    if baseline != BASE:
        checks = checks.bind(lambda found: check_target(dataset, baseline).map(lambda _: found))
    common = None if baseline == BASE else dataset.usable_mask(baseline)
    fitted: Fitted = None if calibration is None else Success(calibration)
    return checks.bind(
        lambda found: shared_fresh(extra, dataset, config).bind(
            lambda shared: resolve_design(dataset, label_design)
            .bind(lambda design: prepare(dataset, target, reward, fitted, config, common, design))
            .bind(lambda prepared: _compare_prepared(baseline, found, level, allow_flagged, config, shared, prepared))
        )
    )


def _compare_prepared(
    baseline: str,
    estimator: Estimator,
    level: float,
    allow_flagged: bool,
    config: EstimationConfig,
    extra: ExtraInputs,
    prepared: Prepared,
) -> Result[Comparison, EstimationError]:
    if estimator.inputs == "fresh-draws":
        return _compare_fresh(baseline, estimator, level, allow_flagged, config, extra, prepared)
    arrays = prepared.arrays
    kind = estimator.normalisation
    target = prepared.target
    target_gates = evaluate_gates(prepared.overlap, config.gates, kind)
    gates = target_gates
    checked = refusal(target, prepared.overlap, target_gates, prepared.missingness, allow_flagged).bind(
        lambda flagged: label_refusal(prepared, flagged, allow_flagged)
    )
    second: Result[EstimatorRun | OwnedRun, EstimationError]
    if baseline == BASE:
        second = Success(EstimatorRun.of(on_policy(arrays)))
    else:
        dataset, rows = prepared.dataset, prepared.rewards.rows
        other_arrays = attrs.evolve(
            arrays, log_weights=dataset.targets[baseline].values[rows] - dataset.base.values[rows]
        )
        other_overlap = overlap_diagnostics(other_arrays.log_weights, config.gates.near_zero_weight)
        other_gates = evaluate_gates(other_overlap, config.gates, kind)
        gates = gates + other_gates.prefixed(f"{baseline}: ")
        if other_gates.refusals and not allow_flagged:
            checked = checked.bind(
                lambda _: Failure(
                    InsufficientOverlap(target=baseline, diagnostics=other_overlap, reasons=other_gates.refusals)
                )
            )
        second = run_estimator(
            estimator, prepared, config, extra, passed_gates=not other_gates.refusals, level=level,
            allow_flagged=allow_flagged, policy=baseline, arrays=other_arrays,
        )
    status = gates + prepared.missingness.status + prepared.labels
    first = run_estimator(
        estimator, prepared, config, extra, passed_gates=not target_gates.refusals, level=level,
        allow_flagged=allow_flagged,
    )

    def pair(outcome: EstimatorRun | OwnedRun) -> Result[Comparison, EstimationError]:
        return second.map(partial(_comparison, baseline, estimator.name, level, prepared, status, outcome))

    return checked.bind(lambda _: first.bind(pair)).bind(finite_comparison)


def _compare_fresh(
    baseline: str,
    estimator: Estimator,
    level: float,
    allow_flagged: bool,
    config: EstimationConfig,
    extra: ExtraInputs,
    prepared: Prepared,
) -> Result[Comparison, EstimationError]:
    """Both sides from their fresh draws (the base policy's own for ``BASE``); no logged-row gates."""
    run = partial(run_estimator, estimator, prepared, config, extra, passed_gates=True, level=level,
                  allow_flagged=allow_flagged)
    first = label_refusal(prepared, False, allow_flagged).bind(lambda _: run())
    second = run(policy=BASE_DRAWS if baseline == BASE else baseline)
    status = prepared.labels
    return (
        first.bind(lambda mine: second.map(partial(_comparison, baseline, estimator.name, level, prepared, status, mine)))
        .bind(finite_comparison)
    )


def _comparison(
    baseline: str,
    estimator: EstimatorName,
    level: float,
    prepared: Prepared,
    status: GateStatus,
    outcome: EstimatorRun | OwnedRun,
    other_outcome: EstimatorRun | OwnedRun,
) -> Comparison:
    if isinstance(outcome, OwnedRun) or isinstance(other_outcome, OwnedRun):
        assert isinstance(outcome, OwnedRun) and isinstance(other_outcome, OwnedRun)  # one estimator: both sides
        return _owned_comparison(baseline, estimator, level, prepared, status, outcome, other_outcome)
    run, other = outcome.point, other_outcome.point
    arrays = prepared.arrays
    result = difference(run, other, arrays.clusters, level, arrays=arrays)
    return Comparison(
        target=prepared.target,
        baseline=baseline,
        estimator=estimator,
        difference=run.value - other.value,
        se=result.se,
        ci=result.ci,
        level=level,
        df=result.df,
        target_value=run.value,
        baseline_value=other.value,
        n_used=arrays.n,
        excluded=dict(+prepared.excluded),
        gates=status,
        flagged=bool(status.refusals),
        p_value=p_value(run.value - other.value, result.se, result.df),
    )


def _owned_comparison(
    baseline: str,
    estimator: EstimatorName,
    level: float,
    prepared: Prepared,
    status: GateStatus,
    outcome: OwnedRun,
    other: OwnedRun,
) -> Comparison:
    """The difference of two fresh-draw runs, its influence paired by prompt cluster."""
    paired = paired_difference(outcome.run, other.run)
    result = run_interval(paired, level)
    warnings = (*outcome.warnings, *(f"{baseline}: {warning}" for warning in other.warnings))
    return Comparison(
        target=prepared.target,
        baseline=baseline,
        estimator=estimator,
        difference=paired.value,
        se=result.se,
        ci=result.ci,
        level=level,
        df=result.df,
        target_value=outcome.value,
        baseline_value=other.value,
        n_used=outcome.n_used + other.n_used,
        excluded={},
        gates=status + GateStatus(warnings=warnings),
        flagged=bool(status.refusals) or outcome.flagged or other.flagged,
        p_value=p_value(paired.value, result.se, result.df),
    )


def paired_difference(run: ComponentRun, other: ComponentRun) -> ComponentRun:
    """``run - other`` on shared clusters, part by part (a part only one side has enters with its sign)."""
    mine = {part.name: part for part in run.parts}
    theirs = {part.name: part for part in other.parts}
    parts = []
    for name in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(name), theirs.get(name)
        if a is not None and b is not None:
            parts.append(Part(name=name, influence=a.influence - b.influence, df=min(a.df, b.df)))
        elif a is not None:
            parts.append(a)
        elif b is not None:
            parts.append(Part(name=name, influence=-b.influence, df=b.df))
    return ComponentRun(
        name=f"{run.name} - {other.name}", value=run.value - other.value, parts=tuple(parts),
        draw_prediction=run.draw_prediction, probe_prediction=None, label_coefficient=None,
    )


def p_value(difference: float, se: float, df: float) -> float:
    """Two-sided p-value of ``difference = 0`` on Student's t with ``df``."""
    if se <= 0.0:
        return 0.0 if difference != 0.0 else 1.0
    return float(2.0 * student_t.sf(abs(difference) / se, df))
