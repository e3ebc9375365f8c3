"""``estimate``, ``estimate_all`` and ``compare``: from a ``Dataset`` to honest numbers or a refusal.

The step from the dataset to arrays happens once per call: the rows usable for
the target (base and target log probs present, a reward available) become
plain arrays, and every other row is counted by its reason. Overlap gates
(for the estimator asked for: unnormalised IPS has one gate more) and the
missingness check run before any estimate; a refusal is
``Failure(InsufficientOverlap(...))`` or ``Failure(InformativeMissingness(...))``
unless the caller passes ``allow_flagged=True``.

Rewards: oracle labels where every usable row has one; otherwise the judge
score calibrated to the oracle scale, **plus the residual correction**: the
out-of-fold calibrated reward ``f_oof(S)`` on every row and the weighted mean
of ``Y - f_oof(S)`` over the labelled rows (see ``cje_fp.estimation.estimators._core``).
Without it (``EstimationConfig(oracle_correction=False)``, the incumbent's
plug-in ``R = f(S)`` with the fold jackknife as OUA) the estimate is biased
whenever the judge is noisy and the target's preference is not fully visible
to the judge.

Every number returned is finite: a last check turns any inf or NaN in the
value, SE, degrees of freedom, interval or final ESS into
``Failure(NonFiniteEstimate(...))``.

>>> import numpy as np
>>> from cje_fp.data._dataset import Dataset
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

import math
from collections import Counter
from collections.abc import Sequence
from functools import partial
from typing import Final, Literal, TypeAlias

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.estimation._calibration import Calibration, CalibrationConfig, calibrate
from cje_fp.data import BoolArray, Dataset, FloatArray, IntArray
from cje_fp.estimation.diagnostics import (
    GateStatus,
    GateThresholds,
    MissingnessCheck,
    OverlapDiagnostics,
    WeightNormalisation,
    evaluate_gates,
    missingness_check,
    overlap_diagnostics,
)
from cje_fp.estimation._errors import (
    EstimationError,
    InformativeMissingness,
    InsufficientOverlap,
    InvalidOption,
    MissingJudgeScores,
    NonFiniteEstimate,
    TooFewClusters,
    TooFewOracleLabels,
    TooFewRows,
    UnknownPolicy,
    WeightOverflow,
    WeightUnderflow,
)
from cje_fp.estimation.estimators import PointRun, TargetArrays, ips, on_policy, snips
from cje_fp.estimation._inference import (
    Interval,
    VarianceComponent,
    cluster_se,
    interval,
    jackknife_se,
)
from cje_fp.estimation._results import (
    ESTIMATORS,
    CalibrationSummary,
    Comparison,
    Diagnostics,
    Estimate,
    EstimateTable,
    EstimatorName,
    RewardMode,
    RewardSource,
)
from cje_fp.estimation.estimators import SimcalConfig, WeightCalibration, calibrated_ips
from cje_fp.data import assign_folds

#: How ``compare`` names the logging policy.
BASE: Final = "<base>"

_QUOTED_LINES: Final = 5


@attrs.frozen(kw_only=True)
class EstimationConfig:
    """Everything about an estimate except the estimator, level and reward source."""

    clip_at: float = attrs.field(default=100.0, validator=attrs.validators.gt(1.0))
    """Clipping threshold of the clipped variants (on raw weights for IPS, mean-one weights for SNIPS)."""
    min_rows: int = attrs.field(default=30, validator=attrs.validators.ge(2))
    """Fewer usable rows than this: ``TooFewRows`` (the overlap gates refuse an ESS below 30 rows
    anyway, so a smaller dataset could never pass them)."""
    min_clusters: int = attrs.field(default=5, validator=attrs.validators.ge(2))
    """Fewer distinct prompts than this among the rows used: ``TooFewClusters`` (a clustered SE
    from a handful of clusters is not worth a number)."""
    oracle_correction: bool = True
    """Add the oracle labels' residual correction to calibrated rewards (recommended). False gives
    the incumbent's plug-in ``R = f(S)`` with the fold-jackknife OUA, kept to reproduce cje-eval 0.3:
    it is biased whenever the judge is noisy."""
    gates: GateThresholds = GateThresholds()
    calibration: CalibrationConfig = CalibrationConfig()
    simcal: SimcalConfig = SimcalConfig()


# Preparing arrays ----------------------------------------------------------------------

_Fitted: TypeAlias = Result[Calibration, EstimationError] | None
"""A calibration fitted beforehand (or its failure), or None to fit one when needed."""


@attrs.frozen(kw_only=True, eq=False)
class _Rewards:
    source: Literal["oracle", "calibrated", "judge"]
    mode: RewardMode
    rows: BoolArray
    rewards: FloatArray
    replicates: FloatArray | None
    index: FloatArray
    excluded: Counter[str]
    calibration: Calibration | None
    labelled: BoolArray | None = None
    residuals: FloatArray | None = None


def _rewards(
    dataset: Dataset,
    target: str,
    usable: BoolArray,
    reward: RewardSource,
    fitted: _Fitted,
    config: EstimationConfig,
) -> Result[_Rewards, EstimationError]:
    """Rewards on the usable rows, their residuals or per-fold rewards, the weight-calibration index."""
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
            return Success(_Rewards(source=source, mode="direct", rows=rows, rewards=rewards, replicates=None,
                                    index=index, excluded=+excluded, calibration=None))
        case "judge":
            rows = usable & judge.present
            excluded["no_judge_score"] = int(np.sum(usable & ~judge.present))
            rewards = judge.values[rows]
            return Success(_Rewards(source=source, mode="direct", rows=rows, rewards=rewards, replicates=None,
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
            calibration: Result[Calibration, EstimationError] = (
                calibrate(dataset, config.calibration) if fitted is None else fitted
            )
            return calibration.bind(partial(_calibrated_rewards, dataset, target, usable, config))


def _calibrated_rewards(
    dataset: Dataset, target: str, usable: BoolArray, config: EstimationConfig, calibration: Calibration
) -> Result[_Rewards, EstimationError]:
    scores = dataset.judge.values[usable]
    index = calibration.rewards(scores)
    if not config.oracle_correction:
        return Success(
            _Rewards(
                source="calibrated",
                mode="plug-in",
                rows=usable,
                rewards=index,
                replicates=calibration.fold_rewards(scores),
                index=index,
                excluded=Counter(),
                calibration=calibration,
            )
        )
    labelled = dataset.oracle.present[usable]
    n_labelled = int(labelled.sum())
    minimum = config.calibration.n_folds * config.calibration.min_labels_per_fold
    if n_labelled < minimum:
        return Failure(
            TooFewOracleLabels(
                n_labels=n_labelled,
                minimum=minimum,
                reason=f"labelled rows usable for {target!r}: the residual correction is fitted on them",
            )
        )
    out_of_fold = calibration.out_of_fold(scores, calibration.folds[usable])
    return Success(
        _Rewards(
            source="calibrated",
            mode="residual-corrected",
            rows=usable,
            rewards=out_of_fold,
            replicates=None,
            index=index,
            excluded=Counter(),
            calibration=calibration,
            labelled=labelled,
            residuals=np.where(labelled, dataset.oracle.values[usable] - out_of_fold, 0.0),
        )
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


def _compact(codes: IntArray) -> tuple[IntArray, int]:
    """``codes`` renumbered 0..K-1 in order of value, keeping only the values that occur; and K.

    (``np.unique`` gives the same, but hashes or sorts: this is O(n) for small non-negative codes.)
    """
    present = np.bincount(codes) > 0
    renumbered: IntArray = (np.cumsum(present) - 1)[codes]
    return renumbered, int(present.sum())


def _jackknife_groups(
    dataset: Dataset, rows: BoolArray, config: SimcalConfig
) -> tuple[IntArray, int]:
    """Jackknife group codes 0..K-1 of the rows, every group non-empty; and K.

    With at most ``n_groups`` prompts each prompt is its own group (delete-one-
    cluster); otherwise prompts are hashed into ``n_groups`` groups and the
    empty ones dropped, so K and the jackknife's K - 1 degrees of freedom count
    only groups that hold rows.
    """
    codes, n_clusters = _compact(dataset.clusters[rows])
    if n_clusters <= config.n_groups:
        return codes, n_clusters
    hashed = assign_folds(dataset.cluster_hashes, dataset.clusters, config.n_groups, config.group_seed)[rows]
    return _compact(hashed)


def _arrays(dataset: Dataset, target: str, rewards: _Rewards, config: EstimationConfig) -> TargetArrays:
    rows = rewards.rows
    base = dataset.base.values[rows]
    log_weights = dataset.targets[target].values[rows] - base
    hashes, clusters = dataset.cluster_hashes, dataset.clusters
    simcal = config.simcal
    codes, levels = _levels(rewards.index, simcal.max_levels)
    groups, n_groups = _jackknife_groups(dataset, rows, simcal)
    return TargetArrays(
        log_weights=log_weights,
        rewards=rewards.rewards,
        reward_replicates=rewards.replicates,
        clusters=clusters[rows],
        groups=groups,
        n_groups=n_groups,
        index_codes=codes,
        index_levels=levels,
        inner_folds=assign_folds(hashes, clusters, simcal.inner_folds, simcal.inner_seed)[rows],
        labelled=rewards.labelled,
        residuals=rewards.residuals,
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


def normalisation(estimator: EstimatorName) -> WeightNormalisation:
    """Whether ``estimator`` divides by the weights' sum (self-normalised) or by n (IPS)."""
    return "unnormalised" if estimator in ("ips", "clipped-ips") else "self-normalised"


def _run(
    arrays: TargetArrays, estimator: EstimatorName, config: EstimationConfig, allowed: bool
) -> Result[tuple[PointRun, WeightCalibration | None], EstimationError]:
    """Run ``estimator``; ``allowed`` is False when the raw weights fail the gates (no projection then)."""
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
            return Success(calibrated_ips(arrays, config.simcal, allowed=allowed))


def _without_calibration(run: PointRun) -> tuple[PointRun, WeightCalibration | None]:
    return run, None


@attrs.frozen(kw_only=True)
class _Uncertainty:
    interval: Interval
    se_sampling: float
    se_oracle: float | None


def _sampling_se(
    run: PointRun, clusters: IntArray, part: Literal["total", "plug-in", "correction"]
) -> tuple[float, int]:
    """SE of the run's total, of its plug-in part or of its residual correction."""
    influence, replicates = run.influence, run.group_replicates
    correction_influence, correction_replicates = run.correction_influence, run.correction_replicates
    if part != "total" and correction_influence is not None and correction_replicates is not None:
        if part == "correction":
            influence, replicates = correction_influence, correction_replicates
        else:
            influence, replicates = influence - correction_influence, replicates - correction_replicates
    if run.sampling == "influence":
        return cluster_se(influence, clusters)
    return jackknife_se(replicates)


def _uncertainty(run: PointRun, clusters: IntArray, level: float) -> _Uncertainty:
    """SE, df and CI; and the breakdown into sampling and oracle parts.

    With the residual correction, one component carries both (they are
    correlated, so they are estimated together); ``se_sampling`` and
    ``se_oracle`` are the SEs of the plug-in part and of the correction alone.
    With the plug-in (``oracle_correction=False``) the fold jackknife (OUA) is
    a second component, combined in quadrature with Satterthwaite df.
    """
    se, df = _sampling_se(run, clusters, "total")
    corrected = run.correction is not None
    components = [VarianceComponent(name="sampling_and_labels" if corrected else "sampling", se=se, df=df)]
    if run.oracle_replicates is not None:
        oracle_se, oracle_df = jackknife_se(run.oracle_replicates)
        components.append(VarianceComponent(name="oracle", se=oracle_se, df=oracle_df))
    result = interval(run.value, tuple(components), level)
    if corrected:
        return _Uncertainty(
            interval=result,
            se_sampling=_sampling_se(run, clusters, "plug-in")[0],
            se_oracle=_sampling_se(run, clusters, "correction")[0],
        )
    return _Uncertainty(
        interval=result, se_sampling=components[0].se, se_oracle=components[1].se if len(components) > 1 else None
    )


def _summary(rewards: _Rewards, run: PointRun) -> CalibrationSummary | None:
    calibration = rewards.calibration
    if calibration is None:
        return None
    return CalibrationSummary(
        n_labels=calibration.n_labels,
        n_folds=calibration.config.n_folds,
        rmse_in_sample=calibration.rmse_in_sample,
        rmse_out_of_fold=calibration.rmse_out_of_fold,
        constant=calibration.full.is_constant,
        mode=rewards.mode,
        n_labels_used=0 if rewards.labelled is None else int(rewards.labelled.sum()),
        residual_correction=run.correction,
    )


@attrs.frozen(kw_only=True, eq=False)
class _Prepared:
    arrays: TargetArrays
    rewards: _Rewards
    excluded: Counter[str]
    overlap: OverlapDiagnostics
    missingness: MissingnessCheck


def _prepare(
    dataset: Dataset,
    target: str,
    reward: RewardSource,
    fitted: _Fitted,
    config: EstimationConfig,
    extra_rows: BoolArray | None = None,
) -> Result[_Prepared, EstimationError]:
    usable = dataset.usable_mask(target)
    excluded = dataset.exclusions(target)
    if extra_rows is not None:
        excluded["not_usable_for_baseline"] = int(np.sum(usable & ~extra_rows))
        usable = usable & extra_rows
    return _rewards(dataset, target, usable, reward, fitted, config).bind(
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
    n_clusters = _compact(dataset.clusters[rewards.rows])[1]
    if n_clusters < config.min_clusters:
        return Failure(TooFewClusters(target=target, n_clusters=n_clusters, minimum=config.min_clusters))
    arrays = _arrays(dataset, target, rewards, config)
    overlap = overlap_diagnostics(arrays.log_weights, config.gates.near_zero_weight)
    check = missingness_check(
        ~usable,
        dataset.judge.values,
        dataset.judge.present,
        dataset.response_length.astype(np.float64),
        config.gates,
    )
    return Success(
        _Prepared(arrays=arrays, rewards=rewards, excluded=excluded, overlap=overlap, missingness=check)
    )


def _refusal(
    target: str, overlap: OverlapDiagnostics, gates: GateStatus, missingness: MissingnessCheck, allow_flagged: bool
) -> Result[bool, EstimationError]:
    """Success(flagged) when the estimate may go ahead, else the refusal."""
    if gates.refusals and not allow_flagged:
        return Failure(InsufficientOverlap(target=target, diagnostics=overlap, reasons=gates.refusals))
    if missingness.status.refusals and not allow_flagged:
        return Failure(
            InformativeMissingness(target=target, check=missingness, reasons=missingness.status.refusals)
        )
    return Success(bool(gates.refusals or missingness.status.refusals))


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
    fitted: _Fitted = None if calibration is None else Success(calibration)
    return _estimate(dataset, target, estimator, level, reward, allow_flagged, config, fitted)


def _estimate(
    dataset: Dataset,
    target: str,
    estimator: EstimatorName,
    level: float,
    reward: RewardSource,
    allow_flagged: bool,
    config: EstimationConfig,
    fitted: _Fitted,
) -> Result[Estimate, EstimationError]:
    return (
        _check_options(level, estimator, reward)
        .bind(lambda _: _check_target(dataset, target))
        .bind(lambda _: _prepare(dataset, target, reward, fitted, config))
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
    gates = evaluate_gates(prepared.overlap, config.gates, normalisation(estimator))

    def run(flagged: bool) -> Result[Estimate, EstimationError]:
        return (
            _run(prepared.arrays, estimator, config, allowed=not gates.refusals)
            .alt(partial(_named, target=target))
            .map(partial(_assemble, target, estimator, level, prepared, gates, flagged))
            .bind(_finite_estimate)
        )

    return _refusal(target, prepared.overlap, gates, prepared.missingness, allow_flagged).bind(run)


def _assemble(
    target: str,
    estimator: EstimatorName,
    level: float,
    prepared: _Prepared,
    gates: GateStatus,
    flagged: bool,
    outcome: tuple[PointRun, WeightCalibration | None],
) -> Estimate:
    run, weight_calibration = outcome
    arrays = prepared.arrays
    uncertainty = _uncertainty(run, arrays.clusters, level)
    result = uncertainty.interval
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
        se_sampling=uncertainty.se_sampling,
        se_oracle=uncertainty.se_oracle,
        components=result.components,
        n_used=arrays.n,
        n_clusters=int(np.count_nonzero(np.bincount(arrays.clusters))),
        excluded=dict(+prepared.excluded),
        diagnostics=Diagnostics(
            overlap=prepared.overlap,
            gates=_with_calibration_note(gates, weight_calibration),
            missingness=prepared.missingness,
            final_ess_fraction=float(weights.sum() ** 2 / np.sum(weights**2) / weights.size),
            n_clipped=run.n_clipped,
            weight_calibration=weight_calibration,
            calibration=_summary(prepared.rewards, run),
        ),
        flagged=flagged,
    )


def _not_finite(numbers: Sequence[tuple[str, float]]) -> tuple[str, str] | None:
    """The first (name, description) of a number that is inf or NaN."""
    for name, number in numbers:
        if not math.isfinite(number):
            return name, "not a number" if math.isnan(number) else f"{number} (overflow)"
    return None


def _finite_estimate(estimate: Estimate) -> Result[Estimate, EstimationError]:
    """The estimate if every number in it is finite, else ``NonFiniteEstimate``."""
    bad = _not_finite(
        [
            ("value", estimate.value),
            ("se", estimate.se),
            ("df", estimate.df),
            ("ci", estimate.ci[0]),
            ("ci", estimate.ci[1]),
            ("se_sampling", estimate.se_sampling),
            ("se_oracle", 0.0 if estimate.se_oracle is None else estimate.se_oracle),
            ("final_ess_fraction", estimate.diagnostics.final_ess_fraction),
        ]
    )
    if bad is None:
        return Success(estimate)
    quantity, detail = bad
    return Failure(
        NonFiniteEstimate(target=estimate.target, estimator=estimate.estimator, quantity=quantity, detail=detail)
    )


def _with_calibration_note(gates: GateStatus, info: WeightCalibration | None) -> GateStatus:
    if info is None or info.status in ("applied", "not_better"):
        return gates
    if info.status == "skipped":
        note = "weight calibration skipped: the raw weights fail the overlap gates; SNIPS reported instead"
    else:
        note = (
            f"weight calibration rejected: it moved the estimate by {info.shift:+.4f} "
            f"(SE {info.shift_se:.4f}) from SNIPS; SNIPS reported instead"
        )
    return gates + GateStatus(warnings=(note,))


def _named(error: EstimationError, target: str) -> EstimationError:
    """Name the target in an error raised by a pure estimator (which does not know it)."""
    if isinstance(error, WeightOverflow | WeightUnderflow):
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
    """Every (target, estimator) pair: one ``Result`` each; the calibration is fitted once.

    When calibration fails, every pair that needs calibrated rewards carries
    that failure; pairs whose rows are all labelled use the labels and do not.
    """
    names = dataset.target_names if targets is None else tuple(targets)
    fitted: _Fitted = None
    if reward in ("auto", "calibrated") and not bool(np.all(dataset.oracle.present)):
        fitted = _fit(dataset, config.calibration)
    return EstimateTable(
        results={
            (target, estimator): _estimate(
                dataset, target, estimator, level, reward, allow_flagged, config, fitted
            )
            for target in names
            for estimator in estimators
        }
    )


def _fit(dataset: Dataset, config: CalibrationConfig) -> Result[Calibration, EstimationError]:
    """``calibrate`` with its error widened to ``EstimationError``."""
    fitted: Result[Calibration, EstimationError] = calibrate(dataset, config).alt(_widen)
    return fitted


def _widen(error: TooFewOracleLabels | MissingJudgeScores) -> EstimationError:
    return error


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
    jackknife groups, calibration folds and labelled residuals, so their errors
    cancel where they are shared. Both policies' overlap gates apply, and the
    missingness check covers every row the comparison cannot use (for either
    policy); ``flagged`` is set when any of them would have refused.
    """
    checks = _check_options(level, estimator, reward).bind(lambda _: _check_target(dataset, target))
    if baseline != BASE:
        checks = checks.bind(lambda _: _check_target(dataset, baseline))
    common = None if baseline == BASE else dataset.usable_mask(baseline)
    fitted: _Fitted = None if calibration is None else Success(calibration)
    return checks.bind(lambda _: _prepare(dataset, target, reward, fitted, config, common)).bind(
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
    kind = normalisation(estimator)
    target_gates = evaluate_gates(prepared.overlap, config.gates, kind)
    gates = target_gates
    checked = _refusal(target, prepared.overlap, target_gates, prepared.missingness, allow_flagged)
    second: Result[tuple[PointRun, WeightCalibration | None], EstimationError]
    if baseline == BASE:
        second = Success((on_policy(arrays), None))
    else:
        base = dataset.base.values[prepared.rewards.rows]
        other_arrays = attrs.evolve(
            arrays, log_weights=dataset.targets[baseline].values[prepared.rewards.rows] - base
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
        second = _run(other_arrays, estimator, config, allowed=not other_gates.refusals).alt(
            partial(_named, target=baseline)
        )
    status = gates + prepared.missingness.status
    first = _run(arrays, estimator, config, allowed=not target_gates.refusals).alt(partial(_named, target=target))

    def pair(outcome: tuple[PointRun, WeightCalibration | None]) -> Result[Comparison, EstimationError]:
        return second.map(partial(_comparison, target, baseline, estimator, level, prepared, status, outcome[0]))

    return checked.bind(lambda _: first.bind(pair)).bind(_finite_comparison)


def _comparison(
    target: str,
    baseline: str,
    estimator: EstimatorName,
    level: float,
    prepared: _Prepared,
    status: GateStatus,
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
        gates=status,
        flagged=bool(status.refusals),
    )


def _finite_comparison(comparison: Comparison) -> Result[Comparison, EstimationError]:
    bad = _not_finite(
        [
            ("difference", comparison.difference),
            ("se", comparison.se),
            ("df", comparison.df),
            ("ci", comparison.ci[0]),
            ("ci", comparison.ci[1]),
            ("target_value", comparison.target_value),
            ("baseline_value", comparison.baseline_value),
        ]
    )
    if bad is None:
        return Success(comparison)
    quantity, detail = bad
    return Failure(
        NonFiniteEstimate(target=comparison.target, estimator=comparison.estimator, quantity=quantity, detail=detail)
    )


def _difference(run: PointRun, other: PointRun, clusters: IntArray, level: float) -> Interval:
    """Inference for ``run - other``: paired influence functions or paired replicates."""
    value = run.value - other.value
    if run.sampling == "influence" and other.sampling == "influence":
        se, df = cluster_se(run.influence - other.influence, clusters)
    else:
        se, df = jackknife_se(run.group_replicates - other.group_replicates)
    components = [VarianceComponent(name="sampling", se=se, df=df)]
    if run.oracle_replicates is not None and other.oracle_replicates is not None:
        oracle_se, oracle_df = jackknife_se(run.oracle_replicates - other.oracle_replicates)
        components.append(VarianceComponent(name="oracle", se=oracle_se, df=oracle_df))
    return interval(value, tuple(components), level)
