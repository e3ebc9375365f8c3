"""``cje-fp estimate --compare A B`` and ``--compare-to B``: paired differences, with the same gates.

``B`` may be ``base`` (the logging policy; its own draws for a fresh-draw
estimator). ``--compare A B``: one line per estimator, the difference with its
interval or the refusal. ``--compare-to B``: every target minus ``B`` per
estimator, Holm-adjusted among the targets (to pick the best): Holm p-values and simultaneous
(Bonferroni) intervals.
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
    ExtraInputs,
    LabelDesign,
    compare,
    compare_all,
)
from cje_fp.estimation._records import JsonObject, to_object

Compared: TypeAlias = list[tuple[EstimatorName, Result[Comparison, EstimationError]]]
"""Each estimator's comparison, or why it was refused."""

Family: TypeAlias = list[tuple[EstimatorName, str, Result[Comparison, EstimationError]]]
"""Each (estimator, target)'s Holm-adjusted comparison with the common baseline, or why it was refused."""

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
    extra: ExtraInputs = ExtraInputs(),
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
                extra=extra,
                label_design=label_design,
            ),
        )
        for estimator in estimators
    ]


def family_comparisons(
    dataset: Dataset,
    targets: Sequence[str],
    baseline: str,
    *,
    estimators: Sequence[EstimatorName],
    level: float,
    allow_flagged: bool,
    label_design: LabelDesign,
    config: EstimationConfig,
    extra: ExtraInputs = ExtraInputs(),
) -> Family:
    """``compare_all(targets, B)`` (Holm-adjusted) for every estimator, one entry per (estimator, target)."""
    found: Family = []
    for estimator in estimators:
        results = compare_all(
            dataset, targets, baseline_name(baseline), estimator=estimator, level=level,
            allow_flagged=allow_flagged, config=config, extra=extra, label_design=label_design,
        )
        found.extend((estimator, target, result) for target, result in results.items())
    return found


def family_lines(baseline: str, results: Family) -> list[str]:
    """One line per (estimator, target): the Holm-adjusted difference, or why it was refused."""
    lines = [f"Every target - {baseline}, Holm-adjusted among the targets (simultaneous CIs, paired errors):"]
    for estimator, target, result in results:
        match sealed(result):
            case Success(found):
                flag = " FLAGGED (a gate would refuse)" if found.flagged else ""
                holm = "-" if found.holm_p_value is None else f"{found.holm_p_value:.3g}"
                lines.append(
                    f"  {estimator}: {target} {found.difference:+.4f} [{found.ci[0]:+.4f}, {found.ci[1]:+.4f}] "
                    f"({found.level:.1%} simultaneous CI, SE {found.se:.4f}, Holm p {holm}){flag}"
                )
            case Failure(error):
                lines.append(f"  {estimator}: {target} refused: {error.describe()}")
    return lines


def family_json(baseline: str, results: Family) -> JsonObject:
    """The ``comparison_family`` section of the JSON report: estimator -> target -> entry."""
    entries: dict[str, JsonObject] = {}
    for estimator, target, result in results:
        match sealed(result):
            case Success(found):
                entries.setdefault(estimator, {})[target] = {"status": "ok", "record": found.to_dict()}
            case Failure(error):
                entries.setdefault(estimator, {})[target] = {
                    "status": "refused", "kind": error.kind, "reason": error.describe()
                }
    return {"baseline": baseline, "holm": True, "estimators": to_object(entries)}


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


def refused_comparisons(results: Compared | Family) -> int:
    """How many comparisons were refused."""
    return sum(1 for entry in results if isinstance(sealed(entry[-1]), Failure))

