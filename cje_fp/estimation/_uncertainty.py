"""An estimate's uncertainty from its point run: SE, degrees of freedom, interval and the SE split.

With the residual correction, one variance component carries both the sampling
and the oracle-label noise (they are correlated, so they are estimated
together); ``se_sampling`` and ``se_oracle`` are the SEs of the plug-in part and
of the correction alone. With the plug-in (``oracle_correction=False``) the
fold jackknife (OUA) is a second component, combined in quadrature with
Satterthwaite df. ``difference`` is the paired version for ``compare``.
"""

from __future__ import annotations

from typing import Literal, final

import attrs

from cje_fp.data import IntArray
from cje_fp.estimation._inference import Interval, VarianceComponent, cluster_se, interval, jackknife_se
from cje_fp.estimation.estimators import PointRun


@final
@attrs.frozen(kw_only=True)
class Uncertainty:
    """The interval and the split of the SE into sampling and oracle parts."""

    interval: Interval
    se_sampling: float
    se_oracle: float | None


def _sampling_se(
    run: PointRun, clusters: IntArray, part: Literal["total", "plug-in", "correction"]
) -> tuple[float, int]:
    """SE of the run's total, of its plug-in part or of its residual correction."""
    influence, replicates = run.influence, run.group_replicates
    correction_influence, correction_replicates = run.correction_influence, run.correction_replicates
    if part != "total" and correction_influence is not None and correction_replicates is not None:
        if part == "correction":
            influence, replicates = correction_influence, correction_replicates
        else:
            influence, replicates = influence - correction_influence, replicates - correction_replicates
    if run.sampling == "influence":
        return cluster_se(influence, clusters)
    return jackknife_se(replicates)


def uncertainty(run: PointRun, clusters: IntArray, level: float) -> Uncertainty:
    """SE, df and CI; and the breakdown into sampling and oracle parts.

    With the residual correction, one component carries both (they are
    correlated, so they are estimated together); ``se_sampling`` and
    ``se_oracle`` are the SEs of the plug-in part and of the correction alone.
    With the plug-in (``oracle_correction=False``) the fold jackknife (OUA) is
    a second component, combined in quadrature with Satterthwaite df.
    """
    se, df = _sampling_se(run, clusters, "total")
    corrected = run.correction is not None
    components = [VarianceComponent(name="sampling_and_labels" if corrected else "sampling", se=se, df=df)]
    if run.oracle_replicates is not None:
        oracle_se, oracle_df = jackknife_se(run.oracle_replicates)
        components.append(VarianceComponent(name="oracle", se=oracle_se, df=oracle_df))
    result = interval(run.value, tuple(components), level)
    if corrected:
        return Uncertainty(
            interval=result,
            se_sampling=_sampling_se(run, clusters, "plug-in")[0],
            se_oracle=_sampling_se(run, clusters, "correction")[0],
        )
    return Uncertainty(
        interval=result, se_sampling=components[0].se, se_oracle=components[1].se if len(components) > 1 else None
    )


def difference(run: PointRun, other: PointRun, clusters: IntArray, level: float) -> Interval:
    """Inference for ``run - other``: paired influence functions or paired replicates."""
    value = run.value - other.value
    if run.sampling == "influence" and other.sampling == "influence":
        se, df = cluster_se(run.influence - other.influence, clusters)
    else:
        se, df = jackknife_se(run.group_replicates - other.group_replicates)
    components = [VarianceComponent(name="sampling", se=se, df=df)]
    if run.oracle_replicates is not None and other.oracle_replicates is not None:
        oracle_se, oracle_df = jackknife_se(run.oracle_replicates - other.oracle_replicates)
        components.append(VarianceComponent(name="oracle", se=oracle_se, df=oracle_df))
    return interval(value, tuple(components), level)
