"""Fresh-draw estimates from a ``Dataset`` and its draw tables, for the registry's fresh-draw estimators.

The reward model is fitted once on the logged rows with an oracle label and a
judge score, cross-fitted over the prompt-hash folds that ``calibrate`` uses
(``EstimationConfig.calibration``: same folds, same seed). Clusters are the
union of the logged, fresh-draw and probe prompt ids, so a prompt's logged row,
draws and probe rows share one cluster and one fold. Each target then goes
through ``run_fresh`` (audits, estimator, interval). The estimators
(``direct``, ``dr``, ``tmle``, ``stacked-dr``) are registry entries that call
``fresh_estimate``; ``estimate``, ``estimate_all`` and ``compare`` run them when
``ExtraInputs.fresh`` is given (``FreshInputs``), and the base policy's own
draws (``base``) have weight one on every logged row, so they have a DR too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal, TypeAlias

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import Dataset, FloatArray, IntArray, hash_ids
from cje_fp.data._folds import cluster_folds
from cje_fp.estimation._audit_records import BoundaryAudit, NoFreshDraws, TransportAudit
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._errors import (
    EstimationError,
    MissingJudgeScores,
    TooFewOracleLabels,
)
from cje_fp.estimation._fresh_core import FreshArrays, doubly_robust
from cje_fp.estimation._fresh_reward import RewardModel, fit_reward_model
from cje_fp.estimation._fresh_run import (
    FreshEstimatorName,
    FreshOptions,
    FreshRun,
    run_fresh,
)
from cje_fp.estimation._inference import VarianceComponent, cluster_se, interval
from cje_fp.io._fresh_draws import BASE_DRAWS, DrawTable


@attrs.frozen(kw_only=True)
class FreshData:
    """Fresh draws and probe rows per policy (``base`` for the base policy's own draws)."""

    draws: Mapping[str, DrawTable]
    probes: Mapping[str, DrawTable] = attrs.field(factory=dict)


@attrs.frozen(kw_only=True)
class DrDiagnostics:
    """How the DR components behaved: outcome fit, orthogonality and the decomposition."""

    outcome_r2_out_of_fold: float
    """1 - SSE/SST of the cross-fitted judge -> oracle map on the labelled logged rows."""
    direct_term: float
    """Mean of the cross-fitted map over the draws (the DR's first term)."""
    weighted_residual: float | None
    """Orthogonality score: the importance-weighted mean residual on the labelled rows (DR's correction,
    DR minus the direct term); None when the weights fail their gates."""
    weighted_residual_ci: tuple[float, float] | None


@attrs.frozen(kw_only=True)
class FreshDiagnostics:
    """What a fresh-draw estimate reports beside its number: draws, audits, stack and DR diagnostics."""

    n_draws: int
    n_prompts: int
    n_unlogged_prompts: int
    n_labels: int
    stack_weights: tuple[tuple[str, float], ...]
    probe_corrected: bool
    correction: float
    transport: TransportAudit | None
    boundary: BoundaryAudit
    dr: DrDiagnostics | None
    """None for the base policy's own draws in a comparison (no DR decomposition reported there)."""


@attrs.frozen(kw_only=True, eq=False)
class FreshContext:
    """What every target shares: the reward model, the clusters and their folds."""

    model: RewardModel
    cluster_index: Mapping[str, int]
    cluster_folds: IntArray
    label_rows: IntArray
    """Dataset rows of the labelled rows, in the model's label order."""
    label_clusters: IntArray
    covariate: CalibrationCovariate | None = None


CalibrationCovariate: TypeAlias = Literal["response_length"]
"""A covariate the residual cells of the reward model can be stratified by (calibration with covariates)."""


@attrs.frozen(kw_only=True, eq=False)
class FreshInputs:
    """``ExtraInputs.fresh``: the draws, the audits' options and (once fitted) the shared reward model.

    ``options.level``, ``allow_flagged`` and ``gates`` are taken from the call
    (``estimate``'s level and allow_flagged, the configuration's gates).
    ``estimate_all`` and ``compare`` fit ``context`` once (``with_context``) so
    that every policy shares the reward model, the clusters and their folds.
    """

    data: FreshData
    options: FreshOptions = FreshOptions()
    covariate: CalibrationCovariate | None = None
    context: FreshContext | None = None


def with_context(
    inputs: FreshInputs, dataset: Dataset, config: EstimationConfig
) -> Result[FreshInputs, EstimationError]:
    """``inputs`` with the reward model fitted (as given when it already is)."""
    if inputs.context is not None:
        return Success(inputs)
    fitted: Result[FreshContext, EstimationError] = fresh_context(
        dataset, inputs.data, config, inputs.covariate
    ).alt(_widen)
    return fitted.map(lambda context: attrs.evolve(inputs, context=context))


def fresh_context(
    dataset: Dataset,
    fresh: FreshData,
    config: EstimationConfig = EstimationConfig(),
    covariate: CalibrationCovariate | None = None,
) -> Result[FreshContext, TooFewOracleLabels | MissingJudgeScores]:
    """Fit the reward model on the labelled logged rows over the union of prompt clusters.

    ``covariate="response_length"`` stratifies the residual cells by the
    (log) response length as well as the judge score: the remedy to re-run the
    transport audit against when a target's responses differ in length from the
    base policy's and the judge rewards length.
    """
    names: dict[str, int] = {}
    for prompt_id in dataset.prompt_ids:
        names.setdefault(prompt_id, len(names))
    for table in (*fresh.draws.values(), *fresh.probes.values()):
        for prompt_id in table.prompt_ids:
            names.setdefault(prompt_id, len(names))
    calibration = config.calibration
    folds = cluster_folds(hash_ids(list(names)), calibration.n_folds, calibration.seed)
    labelled = dataset.oracle.present
    unjudged = labelled & ~dataset.judge.present
    if unjudged.any():
        lines = tuple(int(line) for line in dataset.lines[unjudged][:5])
        return Failure(MissingJudgeScores(n_missing=int(unjudged.sum()), lines=lines))
    rows = np.flatnonzero(labelled).astype(np.int64)
    label_clusters = np.array([names[dataset.prompt_ids[row]] for row in rows], dtype=np.int64)
    fitted = fit_reward_model(
        dataset.judge.values[rows],
        dataset.oracle.values[rows],
        folds[label_clusters],
        n_folds=calibration.n_folds,
        min_labels_per_fold=calibration.min_labels_per_fold,
        covariate=None if covariate is None else np.log1p(dataset.response_length[rows].astype(np.float64)),
    )
    return fitted.map(
        lambda model: FreshContext(
            model=model, cluster_index=names, cluster_folds=folds, label_rows=rows, label_clusters=label_clusters,
            covariate=covariate,
        )
    )


def _covariate(context: FreshContext, table: DrawTable | None) -> FloatArray | None:
    if context.covariate is None or table is None:
        return None
    values: FloatArray = np.log1p(table.response_length.astype(np.float64))
    return values


def _codes(context: FreshContext, table: DrawTable) -> IntArray:
    index = context.cluster_index
    return np.array([index[prompt_id] for prompt_id in table.prompt_ids], dtype=np.int64)


def fresh_arrays(dataset: Dataset, fresh: FreshData, context: FreshContext, policy: str) -> FreshArrays:
    """One policy's arrays (log weights for a target of the dataset; zero for the base policy's draws)."""
    draws = fresh.draws[policy]
    probe = fresh.probes.get(policy)
    log_weights: FloatArray | None = None
    if policy in dataset.targets:
        rows = context.label_rows
        usable = dataset.usable_mask(policy)[rows]
        raw = dataset.targets[policy].values[rows] - dataset.base.values[rows]
        log_weights = np.where(usable, raw, math.nan)
    elif policy == BASE_DRAWS:
        log_weights = np.zeros(context.label_rows.size)
    return FreshArrays(
        n_clusters=len(context.cluster_index),
        cluster_folds=context.cluster_folds,
        label_clusters=context.label_clusters,
        label_log_weights=log_weights,
        draw_clusters=_codes(context, draws),
        draw_judge=draws.judge,
        probe_clusters=None if probe is None else _codes(context, probe),
        probe_judge=None if probe is None else probe.judge,
        probe_oracle=None if probe is None else probe.oracle,
        draw_covariate=_covariate(context, draws),
        probe_covariate=_covariate(context, probe),
    )


def _dr_diagnostics(model: RewardModel, arrays: FreshArrays, options: FreshOptions) -> DrDiagnostics:
    """Outcome fit, DR's first term and its weighted residual (whatever estimator was asked for)."""
    oracle = model.label_oracle
    total = float(np.sum((oracle - oracle.mean()) ** 2))
    r2 = 1.0 - float(np.sum(model.label_residual**2)) / total if total > 0 else 0.0
    direct_term = float(np.mean(model.predict(arrays.draw_judge, arrays.draw_folds)))
    dr_run = doubly_robust(model, arrays, thresholds=options.gates).value_or(None)
    residual, residual_ci = None, None
    if dr_run is not None:
        labels = next(part for part in dr_run.parts if part.name == "labels")
        se, _ = cluster_se(labels.influence - labels.influence.mean(), np.arange(labels.influence.size))
        residual = dr_run.correction
        residual_ci = interval(residual, (VarianceComponent(name="labels", se=se, df=labels.df),), options.level).ci
    return DrDiagnostics(
        outcome_r2_out_of_fold=r2, direct_term=direct_term, weighted_residual=residual, weighted_residual_ci=residual_ci
    )


def fresh_estimate(
    dataset: Dataset,
    inputs: FreshInputs,
    policy: str,
    estimator: FreshEstimatorName,
    options: FreshOptions,
    config: EstimationConfig,
) -> Result[tuple[FreshRun, FreshDiagnostics], EstimationError]:
    """``policy``'s fresh-draw run and what it reports, or why the data cannot support one."""
    if policy not in inputs.data.draws:
        return Failure(NoFreshDraws(target=policy, available=tuple(sorted(inputs.data.draws))))
    return with_context(inputs, dataset, config).bind(
        lambda fitted: _estimate(dataset, fitted.data, policy, estimator, options, _fitted(fitted))
    )


def _fitted(inputs: FreshInputs) -> FreshContext:
    assert inputs.context is not None  # with_context fitted it
    return inputs.context


def _widen(error: TooFewOracleLabels | MissingJudgeScores) -> EstimationError:
    return error


def _estimate(
    dataset: Dataset,
    fresh: FreshData,
    policy: str,
    estimator: FreshEstimatorName,
    options: FreshOptions,
    context: FreshContext,
) -> Result[tuple[FreshRun, FreshDiagnostics], EstimationError]:
    arrays = fresh_arrays(dataset, fresh, context, policy)
    if policy == BASE_DRAWS and not arrays.has_probe:
        # the base policy's own draws need no probe: the calibration was learned on its responses
        options = attrs.evolve(options, probe_correction=False)
    outcome: Result[tuple[FreshRun, FreshDiagnostics], EstimationError] = run_fresh(
        context.model, arrays, estimator, options, target=policy
    ).map(lambda run: (run, _diagnostics(policy, fresh.draws[policy], context.model, arrays, run, options)))
    return outcome


def _diagnostics(
    policy: str, draws: DrawTable, model: RewardModel, arrays: FreshArrays, run: FreshRun, options: FreshOptions
) -> FreshDiagnostics:
    return FreshDiagnostics(
        n_draws=draws.n_rows,
        n_prompts=len(set(draws.prompt_ids)),
        n_unlogged_prompts=draws.n_unlogged_prompts,
        n_labels=model.n_labels,
        stack_weights=run.run.stack_weights,
        probe_corrected=run.run.probe_corrected,
        correction=run.run.correction,
        transport=run.transport,
        boundary=run.boundary,
        dr=None if policy == BASE_DRAWS else _dr_diagnostics(model, arrays, options),
    )
