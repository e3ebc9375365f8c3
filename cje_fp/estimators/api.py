"""``estimate``, ``estimate_all`` and ``compare``: from a ``Dataset`` to honest numbers or a refusal.

The step from the dataset to arrays happens once per call: the rows usable for
the target (base and target log probs present, a reward available) become
plain arrays, and every other row is counted by its reason. Overlap gates and
the missingness check run before any estimate; a refusal is
``Failure(InsufficientOverlap(...))`` or ``Failure(InformativeMissingness(...))``
unless the caller passes ``allow_flagged=True``.

>>> import numpy as np
>>> from cje_fp.dataset import Dataset
>>> data = Dataset.from_arrays(
...     prompt_ids=[f"p{i}" for i in range(100)], base_log_prob=[-2.0] * 100,
...     target_log_probs={"same": [-2.0] * 100}, oracle_label=[float(i % 2) for i in range(100)],
... )
>>> result = estimate(data, "same", estimator="snips")
>>> result.map(lambda e: (round(e.value, 12), e.reward_source, e.n_used))
<Success: (0.5, 'oracle', 100)>
>>> estimate(data, "other").alt(lambda error: error.kind)
<Failure: unknown_policy>
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Final, Literal

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.calibration import Calibration, CalibrationConfig, calibrate
from cje_fp.dataset import BoolArray, Dataset, FloatArray, IntArray
from cje_fp.diagnostics import (
    GateStatus,
    GateThresholds,
    MissingnessCheck,
    OverlapDiagnostics,
    evaluate_gates,
    missingness_check,
    overlap_diagnostics,
)
from cje_fp.estimation_errors import (
    EstimationError,
    InformativeMissingness,
    InsufficientOverlap,
    InvalidOption,
    MissingJudgeScores,
    TooFewRows,
    UnknownPolicy,
    WeightOverflow,
)
from cje_fp.estimators.core import PointRun, TargetArrays, ips, on_policy, snips
from cje_fp.estimators.inference import (
    Interval,
    VarianceComponent,
    cluster_variance,
    interval,
    jackknife_variance,
)
from cje_fp.estimators.results import (
    ESTIMATORS,
    CalibrationSummary,
    Comparison,
    Diagnostics,
    Estimate,
    EstimateTable,
    EstimatorName,
    RewardSource,
)
from cje_fp.estimators.simcal import SimcalConfig, WeightCalibration, calibrated_ips
from cje_fp.folds import assign_folds

#: How ``compare`` names the logging policy.
BASE: Final = "<base>"

_QUOTED_LINES: Final = 5


@attrs.frozen(kw_only=True)
class EstimationConfig:
    """Everything about an estimate except the estimator, level and reward source."""

    clip_at: float = attrs.field(default=100.0, validator=attrs.validators.gt(1.0))
    """Clipping threshold of the clipped variants (on raw weights for IPS, mean-one weights for SNIPS)."""
    min_rows: int = attrs.field(default=20, validator=attrs.validators.ge(2))
    gates: GateThresholds = GateThresholds()
    calibration: CalibrationConfig = CalibrationConfig()
    simcal: SimcalConfig = SimcalConfig()


# Preparing arrays ----------------------------------------------------------------------


@attrs.frozen(kw_only=True, eq=False)
class _Rewards:
    source: Literal["oracle", "calibrated", "judge"]
    rows: BoolArray
    rewards: FloatArray
    replicates: FloatArray | None
    index: FloatArray
    excluded: Counter[str]
    calibration: Calibration | None


def _rewards(
    dataset: Dataset,
    usable: BoolArray,
    reward: RewardSource,
    calibration: Calibration | None,
    config: EstimationConfig,
) -> Result[_Rewards, EstimationError]:
    """Rewards on the usable rows, per-fold rewards for the OUA, the weight-calibration index."""
    oracle, judge = dataset.oracle, dataset.judge
    source: Literal["oracle", "calibrated", "judge"]
    if reward == "auto":
        source = "oracle" if bool(np.all(oracle.present[usable])) else "calibrated"
    else:
        source = reward
    excluded: Counter[str] = Counter()
    match source:
        case "oracle":
            rows = usable & oracle.present
            excluded["no_oracle_label"] = int(np.sum(usable & ~oracle.present))
            rewards = oracle.values[rows]
            all_judged = bool(np.all(judge.present[rows]))
            index = judge.values[rows] if all_judged else rewards
            return Success(_Rewards(source=source, rows=rows, rewards=rewards, replicates=None,
                                    index=index, excluded=+excluded, calibration=None))
        case "judge":
            rows = usable & judge.present
            excluded["no_judge_score"] = int(np.sum(usable & ~judge.present))
            rewards = judge.values[rows]
            return Success(_Rewards(source=source, rows=rows, rewards=rewards, replicates=None,
                                    index=rewards, excluded=+excluded, calibration=None))
        case "calibrated":
            unjudged = usable & ~judge.present
            if unjudged.any():
                return Failure(
                    MissingJudgeScores(
                        n_missing=int(unjudged.sum()),
                        lines=tuple(int(line) for line in dataset.lines[unjudged][:_QUOTED_LINES]),
                    )
                )
            fitted: Result[Calibration, EstimationError] = (
                Success(calibration) if calibration is not None else calibrate(dataset, config.calibration)
            )
            return fitted.map(lambda fit: _calibrated_rewards(dataset, usable, fit))


def _calibrated_rewards(dataset: Dataset, usable: BoolArray, calibration: Calibration) -> _Rewards:
    scores = dataset.judge.values[usable]
    rewards = calibration.rewards(scores)
    return _Rewards(
        source="calibrated",
        rows=usable,
        rewards=rewards,
        replicates=calibration.fold_rewards(scores),
        index=rewards,
        excluded=Counter(),
        calibration=calibration,
    )


def _levels(index: FloatArray, max_levels: int) -> tuple[IntArray, FloatArray]:
    """Codes and values of the index levels (quantile bins when there are too many)."""
    values, codes = np.unique(index, return_inverse=True)
    if values.size <= max_levels:
        return codes.astype(np.int64), values
    edges = np.quantile(index, np.linspace(0.0, 1.0, max_levels + 1)[1:-1])
    binned = np.searchsorted(edges, index, side="right")
    counts = np.bincount(binned, minlength=max_levels)
    means = np.bincount(binned, weights=index, minlength=max_levels)
    present = counts > 0
    remap = np.cumsum(present) - 1
    return remap[binned].astype(np.int64), means[present] / counts[present]


def _arrays(dataset: Dataset, target: str | None, rewards: _Rewards, config: EstimationConfig) -> TargetArrays:
    rows = rewards.rows
    base = dataset.base.values[rows]
    log_weights = np.zeros_like(base) if target is None else dataset.targets[target].values[rows] - base
    hashes, clusters = dataset.cluster_hashes, dataset.clusters
    simcal = config.simcal
    codes, levels = _levels(rewards.index, simcal.max_levels)
    return TargetArrays(
        log_weights=log_weights,
        rewards=rewards.rewards,
        reward_replicates=rewards.replicates,
        clusters=clusters[rows],
        groups=assign_folds(hashes, clusters, simcal.n_groups, simcal.group_seed)[rows],
        n_groups=simcal.n_groups,
        index_codes=codes,
        index_levels=levels,
        inner_folds=assign_folds(hashes, clusters, simcal.inner_folds, simcal.inner_seed)[rows],
    )


def _check_options(level: float, estimator: str, reward: str) -> Result[None, EstimationError]:
    if not 0.0 < level < 1.0:
        return Failure(InvalidOption(option="level", reason=f"{level} is not in (0, 1)"))
    if estimator not in ESTIMATORS:
        return Failure(InvalidOption(option="estimator", reason=f"{estimator!r} is not one of {list(ESTIMATORS)}"))
    if reward not in ("auto", "oracle", "calibrated", "judge"):
        return Failure(InvalidOption(option="reward", reason=f"{reward!r} is not a reward source"))
    return Success(None)


def _check_target(dataset: Dataset, target: str) -> Result[None, EstimationError]:
    if target not in dataset.targets:
        return Failure(UnknownPolicy(name=target, available=dataset.target_names))
    return Success(None)


# Running ---------------------------------------------------------------------------------


def _run(
    arrays: TargetArrays, estimator: EstimatorName, config: EstimationConfig
) -> Result[tuple[PointRun, WeightCalibration | None], EstimationError]:
    match estimator:
        case "snips":
            return Success((snips(arrays), None))
        case "clipped-snips":
            return Success((snips(arrays, config.clip_at), None))
        case "ips":
            return ips(arrays).map(_without_calibration)
        case "clipped-ips":
            return ips(arrays, config.clip_at).map(_without_calibration)
        case "calibrated-ips":
            return Success(calibrated_ips(arrays, config.simcal))


def _without_calibration(run: PointRun) -> tuple[PointRun, WeightCalibration | None]:
    return run, None


def _components(run: PointRun, clusters: IntArray) -> tuple[VarianceComponent, ...]:
    if run.sampling == "influence":
        variance, df = cluster_variance(run.influence, clusters)
    else:
        variance, df = jackknife_variance(run.group_replicates)
    components = [VarianceComponent(name="sampling", variance=variance, df=df)]
    if run.oracle_replicates is not None:
        oracle_variance, oracle_df = jackknife_variance(run.oracle_replicates)
        components.append(VarianceComponent(name="oracle", variance=oracle_variance, df=oracle_df))
    return tuple(components)


def _summary(calibration: Calibration | None) -> CalibrationSummary | None:
    if calibration is None:
        return None
    return CalibrationSummary(
        n_labels=calibration.n_labels,
        n_folds=calibration.config.n_folds,
        rmse_in_sample=calibration.rmse_in_sample,
        rmse_out_of_fold=calibration.rmse_out_of_fold,
        constant=calibration.full.is_constant,
    )


@attrs.frozen(kw_only=True, eq=False)
class _Prepared:
    arrays: TargetArrays
    rewards: _Rewards
    excluded: Counter[str]
    overlap: OverlapDiagnostics
    gates: GateStatus
    missingness: MissingnessCheck


def _prepare(
    dataset: Dataset,
    target: str,
    reward: RewardSource,
    calibration: Calibration | None,
    config: EstimationConfig,
    extra_rows: BoolArray | None = None,
) -> Result[_Prepared, EstimationError]:
    usable = dataset.usable_mask(target)
    excluded = dataset.exclusions(target)
    if extra_rows is not None:
        excluded["not_usable_for_baseline"] = int(np.sum(usable & ~extra_rows))
        usable = usable & extra_rows
    return _rewards(dataset, usable, reward, calibration, config).bind(
        lambda rewards: _gated(dataset, target, usable, rewards, excluded, config)
    )


def _gated(
    dataset: Dataset,
    target: str,
    usable: BoolArray,
    rewards: _Rewards,
    excluded: Counter[str],
    config: EstimationConfig,
) -> Result[_Prepared, EstimationError]:
    excluded = excluded + rewards.excluded
    n_used = int(rewards.rows.sum())
    if n_used < config.min_rows:
        return Failure(
            TooFewRows(target=target, n_used=n_used, minimum=config.min_rows, excluded=tuple(sorted(excluded.items())))
        )
    arrays = _arrays(dataset, target, rewards, config)
    overlap = overlap_diagnostics(arrays.log_weights, config.gates.near_zero_weight)
    check = missingness_check(
        ~dataset.usable_mask(target),
        dataset.judge.values,
        dataset.judge.present,
        dataset.response_length.astype(np.float64),
        config.gates,
    )
    return Success(
        _Prepared(
            arrays=arrays,
            rewards=rewards,
            excluded=excluded,
            overlap=overlap,
            gates=evaluate_gates(overlap, config.gates),
            missingness=check,
        )
    )


def _refusal(target: str, prepared: _Prepared, allow_flagged: bool) -> Result[bool, EstimationError]:
    """Success(flagged) when the estimate may go ahead, else the refusal."""
    if prepared.gates.refusals and not allow_flagged:
        return Failure(InsufficientOverlap(target=target, diagnostics=prepared.overlap, reasons=prepared.gates.refusals))
    if prepared.missingness.status.refusals and not allow_flagged:
        return Failure(
            InformativeMissingness(target=target, check=prepared.missingness, reasons=prepared.missingness.status.refusals)
        )
    return Success(bool(prepared.gates.refusals or prepared.missingness.status.refusals))


def estimate(
    dataset: Dataset,
    target: str,
    *,
    estimator: EstimatorName = "snips",
    level: float = 0.95,
    reward: RewardSource = "auto",
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
    calibration: Calibration | None = None,
) -> Result[Estimate, EstimationError]:
    """The value of ``target`` with SE and CI, or why the data cannot support one.

    ``calibration`` reuses a judge -> oracle map fitted by ``calibrate`` (else it
    is fitted here when the rewards are calibrated).
    """
    return (
        _check_options(level, estimator, reward)
        .bind(lambda _: _check_target(dataset, target))
        .bind(lambda _: _prepare(dataset, target, reward, calibration, config))
        .bind(lambda prepared: _estimate_prepared(target, estimator, level, allow_flagged, config, prepared))
    )


def _estimate_prepared(
    target: str,
    estimator: EstimatorName,
    level: float,
    allow_flagged: bool,
    config: EstimationConfig,
    prepared: _Prepared,
) -> Result[Estimate, EstimationError]:
    def run(flagged: bool) -> Result[Estimate, EstimationError]:
        return (
            _run(prepared.arrays, estimator, config)
            .alt(partial(_named, target=target))
            .map(partial(_assemble, target, estimator, level, prepared, flagged))
        )

    return _refusal(target, prepared, allow_flagged).bind(run)


def _assemble(
    target: str,
    estimator: EstimatorName,
    level: float,
    prepared: _Prepared,
    flagged: bool,
    outcome: tuple[PointRun, WeightCalibration | None],
) -> Estimate:
    run, weight_calibration = outcome
    arrays = prepared.arrays
    components = _components(run, arrays.clusters)
    result = interval(run.value, components, level)
    weights = run.final_weights
    return Estimate(
        target=target,
        estimator=estimator,
        reward_source=prepared.rewards.source,
        value=run.value,
        se=result.se,
        ci=result.ci,
        level=level,
        df=result.df,
        se_sampling=components[0].se,
        se_oracle=components[1].se if len(components) > 1 else None,
        components=components,
        n_used=arrays.n,
        n_clusters=int(np.count_nonzero(np.bincount(arrays.clusters))),
        excluded=dict(+prepared.excluded),
        diagnostics=Diagnostics(
            overlap=prepared.overlap,
            gates=_with_calibration_note(prepared.gates, weight_calibration),
            missingness=prepared.missingness,
            final_ess_fraction=float(weights.sum() ** 2 / np.sum(weights**2) / weights.size),
            n_clipped=run.n_clipped,
            weight_calibration=weight_calibration,
            calibration=_summary(prepared.rewards.calibration),
        ),
        flagged=flagged,
    )


def _with_calibration_note(gates: GateStatus, info: WeightCalibration | None) -> GateStatus:
    if info is None or info.status != "rejected":
        return gates
    note = (
        f"weight calibration rejected: it moved the estimate by {info.shift:+.4f} "
        f"(SE {info.shift_se:.4f}) from SNIPS; SNIPS reported instead"
    )
    return gates + GateStatus(warnings=(note,))


def _named(error: EstimationError, target: str) -> EstimationError:
    """Name the target in an error raised by a pure estimator (which does not know it)."""
    if isinstance(error, WeightOverflow):
        return attrs.evolve(error, target=target)
    return error


def estimate_all(
    dataset: Dataset,
    *,
    estimators: Sequence[EstimatorName] = ("snips", "calibrated-ips"),
    targets: Sequence[str] | None = None,
    level: float = 0.95,
    reward: RewardSource = "auto",
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
) -> EstimateTable:
    """Every (target, estimator) pair: one ``Result`` each; the calibration is fitted once."""
    names = dataset.target_names if targets is None else tuple(targets)
    calibration: Calibration | None = None
    if reward in ("auto", "calibrated") and not bool(np.all(dataset.oracle.present)):
        calibration = calibrate(dataset, config.calibration).value_or(None)
    return EstimateTable(
        results={
            (target, estimator): estimate(
                dataset,
                target,
                estimator=estimator,
                level=level,
                reward=reward,
                allow_flagged=allow_flagged,
                config=config,
                calibration=calibration,
            )
            for target in names
            for estimator in estimators
        }
    )


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
) -> Result[Comparison, EstimationError]:
    """The paired difference ``value(target) - value(baseline)`` on rows both can use.

    ``baseline`` is another target policy or ``BASE`` (the logging policy, whose
    value is the mean reward of the rows). Both sides share rows, clusters,
    jackknife groups and calibration folds, so their errors cancel where they
    are shared.
    """
    checks = _check_options(level, estimator, reward).bind(lambda _: _check_target(dataset, target))
    if baseline != BASE:
        checks = checks.bind(lambda _: _check_target(dataset, baseline))
    common = None if baseline == BASE else dataset.usable_mask(baseline)
    return checks.bind(lambda _: _prepare(dataset, target, reward, calibration, config, common)).bind(
        lambda prepared: _compare_prepared(
            dataset, target, baseline, estimator, level, allow_flagged, config, prepared
        )
    )


def _compare_prepared(
    dataset: Dataset,
    target: str,
    baseline: str,
    estimator: EstimatorName,
    level: float,
    allow_flagged: bool,
    config: EstimationConfig,
    prepared: _Prepared,
) -> Result[Comparison, EstimationError]:
    arrays = prepared.arrays
    gates = prepared.gates
    if baseline == BASE:
        other_arrays = attrs.evolve(arrays, log_weights=np.zeros_like(arrays.log_weights))
    else:
        base = dataset.base.values[prepared.rewards.rows]
        other_arrays = attrs.evolve(
            arrays, log_weights=dataset.targets[baseline].values[prepared.rewards.rows] - base
        )
        other_overlap = overlap_diagnostics(other_arrays.log_weights, config.gates.near_zero_weight)
        other_gates = evaluate_gates(other_overlap, config.gates)
        gates = gates + GateStatus(
            refusals=tuple(f"{baseline}: {reason}" for reason in other_gates.refusals),
            warnings=tuple(f"{baseline}: {reason}" for reason in other_gates.warnings),
        )
        if other_gates.refusals and not allow_flagged:
            return Failure(InsufficientOverlap(target=baseline, diagnostics=other_overlap, reasons=other_gates.refusals))
    first = _run(arrays, estimator, config).alt(partial(_named, target=target))
    second: Result[tuple[PointRun, WeightCalibration | None], EstimationError] = (
        Success((on_policy(arrays), None))
        if baseline == BASE
        else _run(other_arrays, estimator, config).alt(partial(_named, target=baseline))
    )

    def pair(outcome: tuple[PointRun, WeightCalibration | None]) -> Result[Comparison, EstimationError]:
        return second.map(partial(_comparison, target, baseline, estimator, level, prepared, gates, outcome[0]))

    return _refusal(target, prepared, allow_flagged).bind(lambda _: first.bind(pair))


def _comparison(
    target: str,
    baseline: str,
    estimator: EstimatorName,
    level: float,
    prepared: _Prepared,
    gates: GateStatus,
    run: PointRun,
    other_outcome: tuple[PointRun, WeightCalibration | None],
) -> Comparison:
    other = other_outcome[0]
    arrays = prepared.arrays
    result = _difference(run, other, arrays.clusters, level)
    return Comparison(
        target=target,
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
        gates=gates,
        flagged=bool(gates.refusals),
    )


def _difference(run: PointRun, other: PointRun, clusters: IntArray, level: float) -> Interval:
    """Inference for ``run - other``: paired influence functions or paired replicates."""
    value = run.value - other.value
    if run.sampling == "influence" and other.sampling == "influence":
        variance, df = cluster_variance(run.influence - other.influence, clusters)
    else:
        variance, df = jackknife_variance(run.group_replicates - other.group_replicates)
    components = [VarianceComponent(name="sampling", variance=variance, df=df)]
    if run.oracle_replicates is not None and other.oracle_replicates is not None:
        oracle_variance, oracle_df = jackknife_variance(run.oracle_replicates - other.oracle_replicates)
        components.append(VarianceComponent(name="oracle", variance=oracle_variance, df=oracle_df))
    return interval(value, tuple(components), level)
