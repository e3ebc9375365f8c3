"""``compare_fresh``: paired differences of fresh-draw estimates, audited, Holm-adjusted.

Differences are target minus another target, or minus the base policy's own
draws (``base_responses.jsonl``), with the shared reward model and clusters,
so the calibration's error cancels where it is shared; with several
comparisons ``holm=True`` widens each interval to its Holm step-down level
(family-wise error control when picking the best target).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import attrs
import numpy as np
from returns.result import Failure, Result, Success
from scipy.stats import t as student_t

from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation._audits import CalibrationDoesNotTransport, transport_audit
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._fresh_api import (
    BASE_DRAWS_NAME,
    FreshContext,
    FreshData,
    FreshError,
    NoFreshDraws,
    _widen,
    fresh_arrays,
    fresh_context,
)
from cje_fp.estimation._fresh_core import (
    ComponentRun,
    Part,
    direct,
    with_probe_correction,
)
from cje_fp.estimation._fresh_run import FreshOptions
from cje_fp.estimation._inference import VarianceComponent, cluster_se, interval


@attrs.frozen(kw_only=True)
class FreshComparison:
    """A paired difference of two policies' direct estimates from their fresh draws."""

    target: str
    baseline: str
    difference: float
    se: float
    ci: tuple[float, float]
    level: float
    """The interval's level (above the nominal one when Holm-adjusted)."""
    df: float
    p_value: float
    holm_p_value: float | None = None


@attrs.frozen(kw_only=True)
class FreshComparisons:
    """The paired differences reported (Holm-adjusted among themselves) and the targets refused."""

    comparisons: tuple[FreshComparison, ...]
    refused: Mapping[str, FreshError] = attrs.field(factory=dict)


def compare_fresh(
    dataset: Dataset,
    fresh: FreshData,
    targets: Sequence[str],
    baseline: str = BASE_DRAWS_NAME,
    *,
    level: float = 0.95,
    holm: bool = True,
    options: FreshOptions = FreshOptions(),
    config: EstimationConfig = EstimationConfig(),
) -> Result[FreshComparisons, FreshError]:
    """Direct-estimate differences ``target - baseline`` on shared clusters and reward model; Holm-adjusted.

    Each policy with a probe slice is audited first: a transport FAIL refuses
    its contrast (``refused``; the baseline's FAIL refuses them all) unless
    ``options.probe_correction``, which compares probe-corrected estimates.
    With ``holm`` each interval is at the Holm step-down level of its p-value's
    rank among the reported contrasts (the smallest p-value gets ``1 - alpha/m``),
    so that the family of "target beats baseline" conclusions keeps its error rate.
    """
    missing = [name for name in (*targets, baseline) if name not in fresh.draws]
    if missing:
        return Failure(NoFreshDraws(target=missing[0], available=tuple(sorted(fresh.draws))))
    return fresh_context(dataset, fresh, config).alt(_widen).bind(
        lambda context: _comparisons(dataset, fresh, context, targets, baseline, level, holm, options)
    )


def _audited_direct(
    dataset: Dataset, fresh: FreshData, context: FreshContext, policy: str, options: FreshOptions
) -> Result[ComponentRun, FreshError]:
    """The policy's direct run, refused on a transport FAIL, probe-corrected when asked."""
    arrays = fresh_arrays(dataset, fresh, context, policy)
    run = direct(context.model, arrays)
    audit = transport_audit(context.model, arrays, run, options.transport)
    if options.probe_correction and arrays.has_probe:
        corrected = with_probe_correction(context.model, arrays, run)
        return Success(run if corrected is None else corrected)
    if audit is not None and audit.status == "FAIL":
        return Failure(CalibrationDoesNotTransport(target=policy, audit=audit))
    return Success(run)


def _difference_parts(run: ComponentRun, other: ComponentRun) -> tuple[Part, ...]:
    """``run - other`` part by part (a part only one side has enters with its sign)."""
    names = sorted({part.name for part in (*run.parts, *other.parts)})
    mine = {part.name: part for part in run.parts}
    theirs = {part.name: part for part in other.parts}
    parts = []
    for name in names:
        a, b = mine.get(name), theirs.get(name)
        if a is not None and b is not None:
            parts.append(Part(name=name, influence=a.influence - b.influence, df=min(a.df, b.df)))
        elif a is not None:
            parts.append(a)
        elif b is not None:
            parts.append(Part(name=name, influence=-b.influence, df=b.df))
    return tuple(parts)


def _comparisons(
    dataset: Dataset,
    fresh: FreshData,
    context: FreshContext,
    targets: Sequence[str],
    baseline: str,
    level: float,
    holm: bool,
    options: FreshOptions,
) -> Result[FreshComparisons, FreshError]:
    base_outcome = _audited_direct(dataset, fresh, context, baseline, options)
    base_run = base_outcome.value_or(None)
    if base_run is None:
        return base_outcome.map(lambda _: FreshComparisons(comparisons=()))
    raw = []
    refused: dict[str, FreshError] = {}
    for target in targets:
        outcome = _audited_direct(dataset, fresh, context, target, options)
        run = outcome.value_or(None)
        if run is None:
            match sealed(outcome):
                case Failure(error):
                    refused[target] = error
                case Success(_):
                    pass
            continue
        difference = run.value - base_run.value
        differences = _difference_parts(run, base_run)
        total = np.sum([part.influence for part in differences], axis=0)
        clusters = np.arange(total.size)
        se = cluster_se(total - total.mean(), clusters)[0]
        shares = tuple(
            VarianceComponent(name=p.name, se=cluster_se(p.influence - p.influence.mean(), clusters)[0], df=p.df)
            for p in differences
        )
        df = interval(difference, shares, level).df
        statistic = abs(difference) / se if se > 0 else math.inf
        p_value = float(2.0 * (1.0 - student_t.cdf(statistic, df)))
        raw.append((target, difference, se, df, p_value))
    order = sorted(range(len(raw)), key=lambda index: raw[index][4])
    m = len(raw)
    alpha = 1.0 - level
    adjusted: dict[int, tuple[float, float]] = {}
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * raw[index][4]))
        adjusted[index] = (running, 1.0 - alpha / (m - rank))
    results = []
    for index, (target, difference, se, df, p_value) in enumerate(raw):
        holm_p, holm_level = adjusted[index]
        used = holm_level if holm else level
        critical = float(student_t.ppf(1.0 - (1.0 - used) / 2.0, df))
        results.append(
            FreshComparison(
                target=target,
                baseline=baseline,
                difference=difference,
                se=se,
                ci=(difference - critical * se, difference + critical * se),
                level=used,
                df=df,
                p_value=p_value,
                holm_p_value=holm_p if holm else None,
            )
        )
    return Success(FreshComparisons(comparisons=tuple(results), refused=refused))
