"""Before any estimate: options checked, rows and rewards chosen, arrays built, gates evaluated.

The step from the dataset to arrays happens once per call: the rows usable for
the target (base and target log probs present, a reward available) become
plain arrays, and every other row is counted by its reason. Overlap gates (for
the estimator asked for: unnormalised estimators have one gate more) and the
missingness check run before any estimate; a refusal is
``Failure(InsufficientOverlap(...))`` or ``Failure(InformativeMissingness(...))``
unless the caller passes ``allow_flagged=True``.
"""

from __future__ import annotations

from collections import Counter
from typing import final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import BoolArray, Dataset
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._errors import (
    EstimationError,
    InformativeMissingness,
    InsufficientOverlap,
    InvalidOption,
    TooFewClusters,
    TooFewRows,
    UnknownPolicy,
    WeightOverflow,
    WeightUnderflow,
)
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
    TargetArrays,
    lookup_estimator,
)


def check_options(level: float, estimator: str, reward: str) -> Result[Estimator, EstimationError]:
    """The registered estimator named ``estimator``, if the level and reward source are valid too."""
    if not 0.0 < level < 1.0:
        return Failure(InvalidOption(option="level", reason=f"{level} is not in (0, 1)"))
    found: Result[Estimator, EstimationError] = lookup_estimator(estimator).alt(_widen_option)
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


def prepare(
    dataset: Dataset,
    target: str,
    reward: RewardSource,
    fitted: Fitted,
    config: EstimationConfig,
    extra_rows: BoolArray | None = None,
) -> Result[Prepared, EstimationError]:
    """The target's usable rows (and, with ``extra_rows``, only those), their rewards and diagnostics."""
    usable = dataset.usable_mask(target)
    excluded = dataset.exclusions(target)
    if extra_rows is not None:
        excluded["not_usable_for_baseline"] = int(np.sum(usable & ~extra_rows))
        usable = usable & extra_rows
    return rewards_for(dataset, target, usable, reward, fitted, config).bind(
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


def run_estimator(
    estimator: Estimator,
    prepared: Prepared,
    config: EstimationConfig,
    extra: ExtraInputs,
    *,
    passed_gates: bool,
    policy: str | None = None,
    arrays: TargetArrays | None = None,
) -> Result[EstimatorRun, EstimationError]:
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
        extra=extra,
    )
    return estimator.run(context).alt(lambda error: _named(error, name))


def _named(error: EstimationError, target: str) -> EstimationError:
    """Name the target in an error raised by a pure estimator (which does not know it)."""
    if isinstance(error, WeightOverflow | WeightUnderflow):
        return attrs.evolve(error, target=target)
    return error
