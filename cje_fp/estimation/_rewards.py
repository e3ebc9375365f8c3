"""The rewards of an estimate: oracle labels, raw judge scores, or calibrated judge scores.

Oracle labels where every usable row has one (``reward="auto"``); otherwise the
judge score calibrated to the oracle scale, **plus the residual correction**:
the out-of-fold calibrated reward ``f_oof(S)`` on every row and the residual
``Y - f_oof(S)`` on the labelled rows (the estimators add its weighted mean; see
``cje_fp.estimation.estimators._correction``). Without it
(``EstimationConfig(oracle_correction=False)``, the incumbent's plug-in
``R = f(S)`` with the fold jackknife as OUA) the estimate is biased whenever the
judge is noisy and the target's preference is not fully visible to the judge.
"""

from __future__ import annotations

from collections import Counter
from functools import partial
from typing import Final, Literal, TypeAlias, final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import BoolArray, Dataset, FloatArray
from cje_fp.estimation._calibration import Calibration, CalibrationConfig, calibrate
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._errors import EstimationError, MissingJudgeScores, TooFewOracleLabels
from cje_fp.estimation._results import RewardMode, RewardSource

_QUOTED_LINES: Final = 5

Fitted: TypeAlias = Result[Calibration, EstimationError] | None
"""A calibration fitted beforehand (or its failure), or None to fit one when needed."""


@final
@attrs.frozen(kw_only=True, eq=False)
class Rewards:
    """The rewards of the rows used, with what the estimators and the report need to know about them."""

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


def rewards_for(
    dataset: Dataset,
    target: str,
    usable: BoolArray,
    reward: RewardSource,
    fitted: Fitted,
    config: EstimationConfig,
) -> Result[Rewards, EstimationError]:
    """Rewards on the usable rows, their residuals or per-fold rewards, the weight-calibration index."""
    oracle, judge = dataset.oracle, dataset.judge
    all_labelled = bool(np.all(oracle.present[usable]))
    source: Literal["oracle", "calibrated", "judge"] = (
        reward if reward != "auto" else ("oracle" if all_labelled else "calibrated")
    )
    excluded: Counter[str] = Counter()
    match source:
        case "oracle":
            rows = usable & oracle.present
            excluded["no_oracle_label"] = int(np.sum(usable & ~oracle.present))
            rewards = oracle.values[rows]
            all_judged = bool(np.all(judge.present[rows]))
            index = judge.values[rows] if all_judged else rewards
            return Success(Rewards(source=source, mode="direct", rows=rows, rewards=rewards, replicates=None,
                                    index=index, excluded=+excluded, calibration=None))
        case "judge":
            rows = usable & judge.present
            excluded["no_judge_score"] = int(np.sum(usable & ~judge.present))
            rewards = judge.values[rows]
            return Success(Rewards(source=source, mode="direct", rows=rows, rewards=rewards, replicates=None,
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
) -> Result[Rewards, EstimationError]:
    scores = dataset.judge.values[usable]
    index = calibration.rewards(scores)
    if not config.oracle_correction:
        return Success(
            Rewards(
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
        Rewards(
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


def fit_calibration(dataset: Dataset, config: CalibrationConfig) -> Result[Calibration, EstimationError]:
    """``calibrate`` with its error widened to ``EstimationError``."""
    fitted: Result[Calibration, EstimationError] = calibrate(dataset, config).alt(_widen)
    return fitted


def _widen(error: TooFewOracleLabels | MissingJudgeScores) -> EstimationError:
    return error
