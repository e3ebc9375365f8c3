"""``compare``: the paired difference between two policies' values on the rows both can use.

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

from cje_fp.data import Dataset
from cje_fp.estimation._calibration import Calibration
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._errors import EstimationError, InsufficientOverlap
from cje_fp.estimation._finite import finite_comparison
from cje_fp.estimation._prepare import Prepared, check_options, check_target, prepare, refusal, run_estimator
from cje_fp.estimation._results import Comparison, RewardSource
from cje_fp.estimation._rewards import Fitted
from cje_fp.estimation._uncertainty import difference
from cje_fp.estimation.diagnostics import GateStatus, evaluate_gates, overlap_diagnostics
from cje_fp.estimation.estimators import Estimator, EstimatorName, EstimatorRun, ExtraInputs, PointRun, on_policy

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
) -> Result[Comparison, EstimationError]:
    """The paired difference ``value(target) - value(baseline)`` on rows both can use.

    ``baseline`` is another target policy or ``BASE`` (the logging policy, whose
    value is the mean reward of the rows). Both sides share rows, clusters,
    jackknife groups, calibration folds and labelled residuals, so their errors
    cancel where they are shared. Both policies' overlap gates apply, and the
    missingness check covers every row the comparison cannot use (for either
    policy); ``flagged`` is set when any of them would have refused.
    """
    checks = check_options(level, estimator, reward).bind(
        lambda found: check_target(dataset, target).map(lambda _: found)
    )
    if baseline != BASE:
        checks = checks.bind(lambda found: check_target(dataset, baseline).map(lambda _: found))
    common = None if baseline == BASE else dataset.usable_mask(baseline)
    fitted: Fitted = None if calibration is None else Success(calibration)
    return checks.bind(
        lambda found: prepare(dataset, target, reward, fitted, config, common).bind(
            lambda prepared: _compare_prepared(baseline, found, level, allow_flagged, config, extra, prepared)
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
    arrays = prepared.arrays
    kind = estimator.normalisation
    target = prepared.target
    target_gates = evaluate_gates(prepared.overlap, config.gates, kind)
    gates = target_gates
    checked = refusal(target, prepared.overlap, target_gates, prepared.missingness, allow_flagged)
    second: Result[EstimatorRun, EstimationError]
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
            estimator,
            prepared,
            config,
            extra,
            passed_gates=not other_gates.refusals,
            policy=baseline,
            arrays=other_arrays,
        )
    status = gates + prepared.missingness.status
    first = run_estimator(estimator, prepared, config, extra, passed_gates=not target_gates.refusals)

    def pair(outcome: EstimatorRun) -> Result[Comparison, EstimationError]:
        return second.map(
            partial(_comparison, baseline, estimator.name, level, prepared, status, outcome.point)
        )

    return checked.bind(lambda _: first.bind(pair)).bind(finite_comparison)


def _comparison(
    baseline: str,
    estimator: EstimatorName,
    level: float,
    prepared: Prepared,
    status: GateStatus,
    run: PointRun,
    other_outcome: EstimatorRun,
) -> Comparison:
    other = other_outcome.point
    arrays = prepared.arrays
    result = difference(run, other, arrays.clusters, level)
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
    )
