"""The declared label design resolved on a dataset: label weights, or the check that labels are random.

>>> import numpy as np
>>> from cje_fp.data._dataset import Dataset
>>> data = Dataset.from_arrays(
...     prompt_ids=[f"p{i}" for i in range(40)], base_log_prob=[-1.0] * 40, target_log_probs={"t": [-1.0] * 40},
...     judge_score=[i / 40 for i in range(40)], oracle_label=[0.5 if i % 4 == 0 else None for i in range(40)],
... )
>>> resolve_design(data, "random").map(lambda design: round(design.check.p_value, 2))
<Success: 1.0>
>>> resolve_design(data, "known_propensity").alt(lambda error: error.option)
<Failure: label_design>
"""

from __future__ import annotations

from typing import Final, final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import Dataset, FloatArray
from cje_fp.estimation._errors import EstimationError, InvalidOption
from cje_fp.estimation._label_design import (
    LABEL_DESIGNS,
    LabelDependence,
    LabelDesign,
    estimated_label_weights,
    known_label_weights,
    label_dependence,
)

_QUOTED_LINES: Final = 5


@final
@attrs.frozen(kw_only=True, eq=False)
class Design:
    """A label design on a dataset: ``1 / p`` per row (None under ``random``) and the check of ``random``."""

    name: LabelDesign
    weights: FloatArray | None
    """One per dataset row: ``1 / p`` on labelled rows, 0 elsewhere."""
    check: LabelDependence | None
    """Under ``random``, with labelled and unlabelled judged rows: the label-dependence test."""


RANDOM: Final = Design(name="random", weights=None, check=None)
"""``random`` without a check (for callers that bring their own calibration)."""


def resolve_design(dataset: Dataset, design: str) -> Result[Design, EstimationError]:
    """``design`` on ``dataset``: its label weights, or the label-dependence check under ``random``."""
    judged, labelled = dataset.judge.present, dataset.oracle.present
    match design:
        case "random":
            testable = bool(np.any(judged & ~labelled)) and bool(np.any(judged & labelled))
            check = label_dependence(dataset.judge.values[judged], labelled[judged]) if testable else None
            return Success(Design(name="random", weights=None, check=check))
        case "by_judge_score":
            weights = np.zeros(dataset.n_rows)
            weights[judged] = estimated_label_weights(dataset.judge.values[judged], labelled[judged])
            return Success(Design(name="by_judge_score", weights=weights, check=None))
        case "known_propensity":
            return _known(dataset)
        case _:
            return Failure(
                InvalidOption(option="label_design", reason=f"{design!r} is not one of {list(LABEL_DESIGNS)}")
            )


def _known(dataset: Dataset) -> Result[Design, EstimationError]:
    column, labelled = dataset.label_propensity, dataset.oracle.present
    if column is None:
        return Failure(
            InvalidOption(
                option="label_design",
                reason="known_propensity needs each labelled row's oracle_label_propensity; the data has none",
            )
        )
    values = np.where(column.present, column.values, np.nan)
    bad = labelled & ~((values > 0.0) & (values <= 1.0))
    if bad.any():
        lines = ", ".join(str(int(line)) for line in dataset.lines[bad][:_QUOTED_LINES])
        return Failure(
            InvalidOption(
                option="label_design",
                reason=f"known_propensity: {int(bad.sum())} labelled row(s) have no oracle_label_propensity "
                f"in (0, 1] (lines {lines})",
            )
        )
    return Success(Design(name="known_propensity", weights=known_label_weights(values, labelled), check=None))
