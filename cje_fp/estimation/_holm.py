"""``compare_all``: several targets against one baseline, Holm-adjusted to pick the best.

Each target's ``compare`` (paired, for any registered estimator, logged rows or
fresh draws); with ``holm=True`` the ``m`` reported comparisons get
Holm-adjusted p-values (the decisions "target differs from the baseline" at
``holm_p_value < 1 - level`` keep the family-wise error rate) and simultaneous
intervals at ``1 - alpha/m`` (Bonferroni), so that every interval of the
family covers its true difference at once with probability at least ``level``.
Refused comparisons are not in the family.

Intervals at Holm's step-down levels (``1 - alpha/m`` for the smallest p-value,
then ``1 - alpha/(m-1)``, ..., ``level`` for the largest) are not simultaneous:
in the known-truth simulation (``cje_fp.simulation.evaluate_contrasts``, two
targets far from the base and one equal to it, 400 replications) they all
covered in only 0.90 of replications at a nominal 0.95, hence Bonferroni's.

>>> from cje_fp.data._dataset import Dataset
>>> data = Dataset.from_arrays(
...     prompt_ids=[f"p{i}" for i in range(100)], base_log_prob=[-2.0] * 100,
...     target_log_probs={"a": [-2.0] * 100, "b": [-2.0] * 100}, oracle_label=[float(i % 2) for i in range(100)],
... )
>>> found = compare_all(data, ["a", "b"])
>>> [(name, result.map(lambda c: (abs(c.difference) < 1e-9, c.holm_p_value is not None))) for name, result in found.items()]
[('a', <Success: (True, True)>), ('b', <Success: (True, True)>)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs
from returns.result import Result, Success
from scipy.stats import t as student_t

from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation._compare import BASE, compare
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation._label_design import LabelDesign
from cje_fp.estimation._prepare import shared_fresh
from cje_fp.estimation._results import Comparison, RewardSource
from cje_fp.estimation.estimators import EstimatorName, ExtraInputs


def compare_all(
    dataset: Dataset,
    targets: Sequence[str],
    baseline: str = BASE,
    *,
    estimator: EstimatorName = "snips",
    level: float = 0.95,
    holm: bool = True,
    reward: RewardSource = "auto",
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
    extra: ExtraInputs = ExtraInputs(),
    label_design: LabelDesign = "random",
) -> dict[str, Result[Comparison, EstimationError]]:
    """``compare(target, baseline)`` for every target (fresh draws' reward model fitted once); Holm-adjusted."""
    shared = shared_fresh(extra, dataset, config)

    def one(target: str) -> Result[Comparison, EstimationError]:
        return shared.bind(
            lambda inputs: compare(
                dataset, target, baseline, estimator=estimator, level=level, reward=reward,
                allow_flagged=allow_flagged, config=config, extra=inputs, label_design=label_design,
            )
        )

    results = {target: one(target) for target in targets}
    return holm_adjusted(results, level) if holm else results


def holm_adjusted(
    results: Mapping[str, Result[Comparison, EstimationError]], level: float
) -> dict[str, Result[Comparison, EstimationError]]:
    """The reported comparisons with Holm p-values and simultaneous (Bonferroni) intervals."""
    found: dict[str, Comparison] = {}
    for name, result in results.items():
        match sealed(result):
            case Success(comparison):
                found[name] = comparison
            case _:
                pass
    alpha, m = 1.0 - level, len(found)
    adjusted: dict[str, Result[Comparison, EstimationError]] = dict(results)
    running = 0.0
    family_level = 1.0 - alpha / max(m, 1)
    for rank, name in enumerate(sorted(found, key=lambda key: found[key].p_value)):
        comparison = found[name]
        running = max(running, min(1.0, (m - rank) * comparison.p_value))
        critical = float(student_t.ppf(1.0 - alpha / max(m, 1) / 2.0, comparison.df))
        low, high = comparison.difference - critical * comparison.se, comparison.difference + critical * comparison.se
        adjusted[name] = Success(attrs.evolve(comparison, ci=(low, high), level=family_level, holm_p_value=running))
    return adjusted
