"""``cje-fp estimate --compare A B``: paired differences between two policies, with the same gates.

``B`` may be ``base`` (the logging policy). One line per estimator: the
difference with its interval, or the refusal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeAlias

from returns.result import Failure, Result, Success

from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import (
    BASE,
    Comparison,
    EstimationConfig,
    EstimationError,
    EstimatorName,
    LabelDesign,
    compare,
)
from cje_fp.estimation._records import JsonObject

Compared: TypeAlias = list[tuple[EstimatorName, Result[Comparison, EstimationError]]]
"""Each estimator's comparison, or why it was refused."""

#: How the command line names the logging policy.
BASE_NAME: Final = "base"


def baseline_name(name: str) -> str:
    """``BASE`` for ``base``, else the target policy's name."""
    return BASE if name == BASE_NAME else name


def comparisons(
    dataset: Dataset,
    pair: tuple[str, str],
    *,
    estimators: Sequence[EstimatorName],
    level: float,
    allow_flagged: bool,
    label_design: LabelDesign,
    config: EstimationConfig,
) -> Compared:
    """``compare(A, B)`` for every estimator."""
    first, second = pair
    return [
        (
            estimator,
            compare(
                dataset,
                first,
                baseline_name(second),
                estimator=estimator,
                level=level,
                allow_flagged=allow_flagged,
                config=config,
                label_design=label_design,
            ),
        )
        for estimator in estimators
    ]


def comparison_lines(pair: tuple[str, str], results: Compared) -> list[str]:
    """One line per estimator: the difference and its interval, or why it was refused."""
    first, second = pair
    lines = [f"Paired comparison {first} - {second} (same rows, paired errors):"]
    for estimator, result in results:
        match sealed(result):
            case Success(found):
                flag = " FLAGGED (a gate would refuse)" if found.flagged else ""
                lines.append(
                    f"  {estimator}: {found.difference:+.4f} [{found.ci[0]:+.4f}, {found.ci[1]:+.4f}] "
                    f"({found.level:.0%} CI, SE {found.se:.4f}, df {found.df:.0f}, {found.n_used} rows){flag}"
                )
                lines.extend(f"    warning: {warning}" for warning in found.gates.warnings)
            case Failure(error):
                lines.append(f"  {estimator}: refused: {error.describe()}")
    return lines


def comparisons_json(
    pair: tuple[str, str], results: Compared
) -> JsonObject:
    """The ``comparisons`` section of the JSON report."""
    entries: JsonObject = {}
    for estimator, result in results:
        match sealed(result):
            case Success(found):
                entries[estimator] = {"status": "ok", "record": found.to_dict()}
            case Failure(error):
                entries[estimator] = {"status": "refused", "kind": error.kind, "reason": error.describe()}
    return {"target": pair[0], "baseline": pair[1], "estimators": entries}


def refused_comparisons(results: Compared) -> int:
    """How many comparisons were refused."""
    return sum(1 for _, result in results if isinstance(sealed(result), Failure))

