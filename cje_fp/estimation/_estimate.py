"""``estimate`` and ``estimate_all``: from a ``Dataset`` to a policy value with its SE, or a refusal.

Options are checked, the rows prepared and gated (``_prepare``), the registered
estimator run, its uncertainty computed (``_uncertainty``) and every number
checked to be finite (``_finite``).

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

import logging
from collections.abc import Sequence
from functools import partial

import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation._calibration import Calibration
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._design import Design, resolve_design
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation._finite import finite_estimate
from cje_fp.estimation._label_design import LabelDesign
from cje_fp.estimation._prepare import (
    Prepared,
    check_options,
    check_target,
    logged_refusal,
    prepare,
    run_estimator,
    shared_fresh,
)
from cje_fp.estimation._results import (
    CalibrationSummary,
    Diagnostics,
    Estimate,
    EstimateTable,
    RewardSource,
)
from cje_fp.estimation._rewards import Fitted, Rewards, fit_calibration
from cje_fp.estimation._uncertainty import uncertainty
from cje_fp.estimation.diagnostics import (
    GateStatus,
    ess_fraction_of_weights,
    evaluate_gates,
)
from cje_fp.estimation.estimators import (
    Estimator,
    EstimatorName,
    EstimatorRun,
    ExtraInputs,
    OwnedRun,
    PointRun,
)

logger = logging.getLogger(__name__)


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
    extra: ExtraInputs = ExtraInputs(),
    label_design: LabelDesign = "random",
) -> Result[Estimate, EstimationError]:
    """The value of ``target`` with SE and CI, or why the data cannot support one.

    ``calibration`` reuses a judge -> oracle map fitted by ``calibrate`` (else it
    is fitted here when the rewards are calibrated). ``extra`` carries inputs
    beyond the logged rows for the estimators that use them. ``label_design``
    says how the oracle labels were chosen (``random``, checked;
    ``by_judge_score``; ``known_propensity``: see ``cje_fp.estimation._label_design``).
    """
    fitted: Fitted = None if calibration is None else Success(calibration)
    return resolve_design(dataset, label_design).bind(
        lambda design: _estimate(
            dataset, target, estimator, level, reward, allow_flagged, config, fitted, extra, design
        )
    )


def _estimate(
    dataset: Dataset,
    target: str,
    estimator: EstimatorName,
    level: float,
    reward: RewardSource,
    allow_flagged: bool,
    config: EstimationConfig,
    fitted: Fitted,
    extra: ExtraInputs,
    design: Design,
) -> Result[Estimate, EstimationError]:
    result = check_options(level, estimator, reward, extra).bind(
        lambda found: check_target(dataset, target)
        .bind(lambda _: prepare(dataset, target, reward, fitted, config, design=design))
        .bind(lambda prepared: _estimate_prepared(found, level, allow_flagged, config, extra, prepared))
    )
    if logger.isEnabledFor(logging.INFO):
        _log_refusal(target, estimator, result)
    return result


def _log_refusal(target: str, estimator: str, result: Result[Estimate, EstimationError]) -> None:
    """An estimate the data cannot support is logged (INFO) with its reason; an estimate is not."""
    match sealed(result):
        case Failure(error):
            logger.info("refused %s [%s]: %s", target, estimator, error.describe())
        case Success(_):
            pass


def _estimate_prepared(
    estimator: Estimator,
    level: float,
    allow_flagged: bool,
    config: EstimationConfig,
    extra: ExtraInputs,
    prepared: Prepared,
) -> Result[Estimate, EstimationError]:
    gates = (
        GateStatus()
        if estimator.inputs == "fresh-draws"
        else evaluate_gates(prepared.overlap, config.gates, estimator.normalisation)
    )

    def run(flagged: bool) -> Result[Estimate, EstimationError]:
        return (
            run_estimator(
                estimator, prepared, config, extra, passed_gates=not gates.refusals, level=level,
                allow_flagged=allow_flagged,
            )
            .map(partial(_assemble, estimator.name, level, prepared, gates, flagged))
            .bind(finite_estimate)
        )

    return logged_refusal(estimator, prepared, gates, allow_flagged).bind(run)


def _assemble(
    estimator: EstimatorName,
    level: float,
    prepared: Prepared,
    gates: GateStatus,
    flagged: bool,
    outcome: EstimatorRun | OwnedRun,
) -> Estimate:
    if isinstance(outcome, OwnedRun):
        return _assemble_owned(estimator, level, prepared, flagged, outcome)
    run = outcome.point
    arrays = prepared.arrays
    split = uncertainty(run, arrays.clusters, level, arrays=arrays)
    result = split.interval
    return Estimate(
        target=prepared.target,
        estimator=estimator,
        reward_source=prepared.rewards.source,
        value=run.value,
        se=result.se,
        ci=result.ci,
        level=level,
        df=result.df,
        se_sampling=split.se_sampling,
        se_oracle=split.se_oracle,
        components=result.components,
        n_used=arrays.n,
        n_clusters=int(np.count_nonzero(np.bincount(arrays.clusters))),
        excluded=dict(+prepared.excluded),
        diagnostics=Diagnostics(
            overlap=prepared.overlap,
            gates=(gates + GateStatus(warnings=outcome.warnings) if outcome.warnings else gates) + prepared.labels,
            missingness=prepared.missingness,
            final_ess_fraction=ess_fraction_of_weights(run.final_weights),
            n_clipped=run.n_clipped,
            weight_calibration=outcome.weight_calibration,
            calibration=_summary(prepared.rewards, run),
        ),
        flagged=flagged,
    )


def _assemble_owned(
    estimator: EstimatorName, level: float, prepared: Prepared, flagged: bool, outcome: OwnedRun
) -> Estimate:
    """An estimator's own interval: ``se_sampling`` is its fresh-draw part's, ``se_oracle`` its labels'."""
    result = outcome.interval
    shares = {component.name: component.se for component in result.components}
    return Estimate(
        target=prepared.target,
        estimator=estimator,
        reward_source="calibrated",
        value=outcome.value,
        se=result.se,
        ci=result.ci,
        level=level,
        df=result.df,
        se_sampling=shares.get("fresh", result.se),
        se_oracle=shares.get("labels"),
        components=result.components,
        n_used=outcome.n_used,
        n_clusters=outcome.n_clusters,
        excluded={},
        diagnostics=Diagnostics(
            overlap=prepared.overlap,
            gates=GateStatus(warnings=outcome.warnings) + prepared.labels,
            missingness=prepared.missingness,
            final_ess_fraction=prepared.overlap.ess_fraction,
        ),
        flagged=flagged or outcome.flagged,
        fresh=outcome.diagnostics,
    )


def _summary(rewards: Rewards, run: PointRun) -> CalibrationSummary | None:
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


def estimate_all(
    dataset: Dataset,
    *,
    estimators: Sequence[EstimatorName] = ("snips", "calibrated-ips"),
    targets: Sequence[str] | None = None,
    level: float = 0.95,
    reward: RewardSource = "auto",
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
    extra: ExtraInputs = ExtraInputs(),
    label_design: LabelDesign = "random",
) -> EstimateTable:
    """Every (target, estimator) pair: one ``Result`` each; the calibration (and the fresh draws'
    reward model) is fitted once.

    When calibration fails, every pair that needs calibrated rewards carries
    that failure; pairs whose rows are all labelled use the labels and do not.
    """
    names = dataset.target_names if targets is None else tuple(targets)
    resolved = resolve_design(dataset, label_design)
    fitted: Fitted = None
    if reward in ("auto", "calibrated") and not bool(np.all(dataset.oracle.present)):
        fitted = resolved.bind(partial(fit_calibration, dataset, config.calibration))
    shared = shared_fresh(extra, dataset, config)

    def one(target: str, estimator: EstimatorName) -> Result[Estimate, EstimationError]:
        return resolved.bind(
            lambda design: shared.bind(
                lambda inputs: _estimate(
                    dataset, target, estimator, level, reward, allow_flagged, config, fitted, inputs, design
                )
            )
        )

    return EstimateTable(
        results={
            (target, estimator): one(target, estimator)
            for target in names
            for estimator in estimators
        }
    )
