"""Before any estimate: options checked, rows and rewards chosen, arrays built, gates evaluated.

The step from the dataset to arrays happens once per call: the rows usable for
the target (base and target log probs present, a reward available) become
plain arrays, and every other row is counted by its reason. Overlap gates (for
the estimator asked for: unnormalised estimators have one gate more) and the
missingness check run before any estimate, and with calibrated rewards under the
``random`` label design the label-dependence check; a refusal is
``Failure(InsufficientOverlap(...))``, ``Failure(InformativeMissingness(...))`` or
``Failure(LabelsNotRandom(...))`` unless the caller passes ``allow_flagged=True``.
"""

from __future__ import annotations

from collections import Counter
from typing import final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import BoolArray, Dataset
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._design import RANDOM, Design
from cje_fp.estimation._errors import (
    EstimationError,
    InformativeMissingness,
    InsufficientOverlap,
    InvalidOption,
    LabelsNotRandom,
    TooFewClusters,
    TooFewRows,
    UnknownPolicy,
    WeightOverflow,
    WeightUnderflow,
)
from cje_fp.estimation._fresh_api import with_context
from cje_fp.estimation._results import RewardSource
from cje_fp.estimation._rewards import Fitted, Rewards, rewards_for
from cje_fp.estimation._row_arrays import compact, target_arrays
from cje_fp.estimation.diagnostics import (
    GateStatus,
    MissingnessCheck,
    OverlapDiagnostics,
    missingness_check,
    overlap_diagnostics,
)
from cje_fp.estimation.estimators import (
    Estimator,
    EstimatorContext,
    EstimatorRun,
    ExtraInputs,
    OwnedRun,
    TargetArrays,
    lookup_estimator,
)


def check_options(
    level: float, estimator: str, reward: str, extra: ExtraInputs = ExtraInputs()
) -> Result[Estimator, EstimationError]:
    """The registered estimator named ``estimator`` (``auto``: the one it chooses given ``extra``), if the
    level and reward source are valid too."""
    if not 0.0 < level < 1.0:
        return Failure(InvalidOption(option="level", reason=f"{level} is not in (0, 1)"))
    found: Result[Estimator, EstimationError] = lookup_estimator(
        estimator, fresh_draws=extra.fresh is not None
    ).alt(_widen_option)
    if reward not in ("auto", "oracle", "calibrated", "judge"):
        return found.bind(
            lambda _: Failure(InvalidOption(option="reward", reason=f"{reward!r} is not a reward source"))
        )
    return found


def _widen_option(error: InvalidOption) -> EstimationError:
    return error


def check_target(dataset: Dataset, target: str) -> Result[None, EstimationError]:
    """Nothing, or ``UnknownPolicy`` when the dataset has no such target."""
    if target not in dataset.targets:
        return Failure(UnknownPolicy(name=target, available=dataset.target_names))
    return Success(None)


@final
@attrs.frozen(kw_only=True, eq=False)
class Prepared:
    """The rows, rewards, arrays and diagnostics of one target, ready for any estimator."""

    dataset: Dataset
    target: str
    arrays: TargetArrays
    rewards: Rewards
    excluded: Counter[str]
    overlap: OverlapDiagnostics
    missingness: MissingnessCheck

    @property
    def labels(self) -> GateStatus:
        """The label-dependence check's verdict (calibrated rewards under the ``random`` design)."""
        check = self.rewards.label_check
        if check is None or not check.warns:
            return GateStatus()
        message = check.describe() + ": were the labels chosen at random? (label_design)"
        return GateStatus(refusals=(message,)) if check.refuses else GateStatus(warnings=(message,))


def prepare(
    dataset: Dataset,
    target: str,
    reward: RewardSource,
    fitted: Fitted,
    config: EstimationConfig,
    extra_rows: BoolArray | None = None,
    design: Design = RANDOM,
) -> Result[Prepared, EstimationError]:
    """The target's usable rows (and, with ``extra_rows``, only those), their rewards and diagnostics.

    ``design`` is the resolved label design (``resolve_design``)."""
    usable = dataset.usable_mask(target)
    excluded = dataset.exclusions(target)
    if extra_rows is not None:
        excluded["not_usable_for_baseline"] = int(np.sum(usable & ~extra_rows))
        usable = usable & extra_rows
    return rewards_for(dataset, target, usable, reward, fitted, config, design).bind(
        lambda rewards: _gated(dataset, target, usable, rewards, excluded, config)
    )


def _gated(
    dataset: Dataset,
    target: str,
    usable: BoolArray,
    rewards: Rewards,
    excluded: Counter[str],
    config: EstimationConfig,
) -> Result[Prepared, EstimationError]:
    excluded = excluded + rewards.excluded
    n_used = int(rewards.rows.sum())
    if n_used < config.min_rows:
        return Failure(
            TooFewRows(target=target, n_used=n_used, minimum=config.min_rows, excluded=tuple(sorted(excluded.items())))
        )
    n_clusters = compact(dataset.clusters[rewards.rows])[1]
    if n_clusters < config.min_clusters:
        return Failure(TooFewClusters(target=target, n_clusters=n_clusters, minimum=config.min_clusters))
    arrays = target_arrays(dataset, target, rewards, config)
    overlap = overlap_diagnostics(arrays.log_weights, config.gates.near_zero_weight)
    check = missingness_check(
        ~usable,
        dataset.judge.values,
        dataset.judge.present,
        dataset.response_length.astype(np.float64),
        config.gates,
    )
    return Success(
        Prepared(
            dataset=dataset,
            target=target,
            arrays=arrays,
            rewards=rewards,
            excluded=excluded,
            overlap=overlap,
            missingness=check,
        )
    )


def refusal(
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


def logged_refusal(
    estimator: Estimator, prepared: Prepared, gates: GateStatus, allow_flagged: bool
) -> Result[bool, EstimationError]:
    """``refusal`` for an estimator of the logged rows; a fresh-draw estimator is not gated on them
    (it gates its own weights and audits its draws): only the label check applies to both."""
    checked = (
        Success(False)
        if estimator.inputs == "fresh-draws"
        else refusal(prepared.target, prepared.overlap, gates, prepared.missingness, allow_flagged)
    )
    return checked.bind(lambda flagged: label_refusal(prepared, flagged, allow_flagged))


def label_refusal(prepared: Prepared, flagged: bool, allow_flagged: bool) -> Result[bool, EstimationError]:
    """After ``refusal``: Success(flagged, or flagged by the label check), else ``LabelsNotRandom``."""
    check = prepared.rewards.label_check
    if check is not None and check.refuses and not allow_flagged:
        return Failure(LabelsNotRandom(check=check))
    return Success(flagged or bool(prepared.labels.refusals))


def run_estimator(
    estimator: Estimator,
    prepared: Prepared,
    config: EstimationConfig,
    extra: ExtraInputs,
    *,
    passed_gates: bool,
    level: float,
    allow_flagged: bool,
    policy: str | None = None,
    arrays: TargetArrays | None = None,
) -> Result[EstimatorRun | OwnedRun, EstimationError]:
    """Run ``estimator`` on the prepared rows (for ``policy``'s log weights in ``arrays`` when given)."""
    name = prepared.target if policy is None else policy
    context = EstimatorContext(
        target=name,
        arrays=prepared.arrays if arrays is None else arrays,
        dataset=prepared.dataset,
        rows=prepared.rewards.rows,
        calibration=prepared.rewards.calibration,
        config=config,
        raw_weights_pass_gates=passed_gates,
        level=level,
        allow_flagged=allow_flagged,
        extra=extra,
    )
    return estimator.run(context).alt(lambda error: _named(error, name))


def _named(error: EstimationError, target: str) -> EstimationError:
    """Name the target in an error raised by a pure estimator (which does not know it)."""
    if isinstance(error, WeightOverflow | WeightUnderflow):
        return attrs.evolve(error, target=target)
    return error


def shared_fresh(extra: ExtraInputs, dataset: Dataset, config: EstimationConfig) -> Result[ExtraInputs, EstimationError]:
    """``extra`` with the fresh draws' reward model fitted once, so that every policy shares it."""
    if extra.fresh is None:
        return Success(extra)
    return with_context(extra.fresh, dataset, config).map(lambda fresh: attrs.evolve(extra, fresh=fresh))
