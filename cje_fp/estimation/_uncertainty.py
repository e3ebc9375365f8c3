"""An estimate's uncertainty from its point run: SE, degrees of freedom, interval and the SE split.

With the residual correction, one variance component carries both the sampling
and the oracle-label noise (they are correlated, so they are estimated
together); ``se_sampling`` and ``se_oracle`` are the SEs of the plug-in part and
of the correction alone. With the plug-in (``oracle_correction=False``) the
fold jackknife (OUA) is a second component, combined in quadrature with
Satterthwaite df. ``difference`` is the paired version for ``compare``.
"""

from __future__ import annotations

import math
from typing import Literal, final

import attrs
import numpy as np

from cje_fp.data import IntArray
from cje_fp.estimation._inference import (
    Interval,
    VarianceComponent,
    cluster_se,
    interval,
    jackknife_se,
    satterthwaite_df,
)
from cje_fp.estimation._label_design import effective_labels
from cje_fp.estimation.estimators import PointRun, TargetArrays


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


def _label_df(arrays: TargetArrays | None) -> float | None:
    """Degrees of freedom of the residual correction: effective labels (Kish, with the label
    weights), at most the labelled clusters, minus one; None without a correction."""
    if arrays is None or arrays.labelled is None or arrays.residuals is None:
        return None
    labelled = arrays.labelled
    per_label = labelled.astype(np.float64) if arrays.label_weights is None else arrays.label_weights
    clusters = int(np.count_nonzero(np.bincount(arrays.clusters[labelled]))) if labelled.any() else 0
    return max(1.0, min(effective_labels(per_label), float(clusters)) - 1.0)


def _weights_df(run: PointRun) -> float:
    """Effective rows of the final weights (Kish ESS) minus one: a weighted mean carries about that
    many degrees of freedom however many rows it has (overlap-low world, ESS fractions 0.07-0.15 of
    1,000 rows: coverage 0.923 with the clusters' df)."""
    return max(1.0, effective_labels(run.final_weights) - 1.0)


def _small_sample_labels(run: PointRun, label_df: float | None) -> PointRun:
    """The correction's part of the influence (and replicates) scaled by ``sqrt(m / (m - 1))`` for m
    effective labels: the small-sample factor of a mean over m labels (the clustered SE applies
    ``G / (G - 1)`` for all G clusters, about 1 when the labels are a small subset of the rows)."""
    influence, replicates = run.correction_influence, run.correction_replicates
    if label_df is None or influence is None or replicates is None:
        return run
    extra = math.sqrt((label_df + 1.0) / label_df) - 1.0
    return attrs.evolve(
        run,
        influence=run.influence + extra * influence,
        group_replicates=run.group_replicates + extra * replicates,
        correction_influence=(1.0 + extra) * influence,
        correction_replicates=(1.0 + extra) * replicates,
    )


def uncertainty(run: PointRun, clusters: IntArray, level: float, *, arrays: TargetArrays | None = None) -> Uncertainty:
    """SE, df and CI; and the breakdown into sampling and oracle parts.

    With the residual correction, one component carries both (they are
    correlated, so they are estimated together); ``se_sampling`` and
    ``se_oracle`` are the SEs of the plug-in part and of the correction alone.
    Given the ``arrays`` (their labels), the correction's SE gets the
    small-sample factor of a mean over the effective labels, and the interval's
    degrees of freedom combine the sampling df (clusters - 1) with the labels'
    (effective labels - 1) by Satterthwaite, weighted by the two parts'
    variances: with 15 labels the correction's SE is itself noisy (coverage
    0.90-0.92 with the clusters' df, 0.94 with these). The sampling df is also
    at most the final weights' effective rows (Kish ESS) minus one. With the plug-in
    (``oracle_correction=False``) the fold jackknife (OUA) is a second
    component, combined in quadrature with Satterthwaite df.
    """
    label_df = _label_df(arrays)
    run = _small_sample_labels(run, label_df)
    se, clusters_df = _sampling_se(run, clusters, "total")
    df = clusters_df if arrays is None else min(float(clusters_df), _weights_df(run))
    corrected = run.correction is not None
    if corrected and label_df is not None:
        se_sampling = _sampling_se(run, clusters, "plug-in")[0]
        se_oracle = _sampling_se(run, clusters, "correction")[0]
        parts = (
            VarianceComponent(name="sampling", se=se_sampling, df=df),
            VarianceComponent(name="labels", se=se_oracle, df=label_df),
        )
        component = VarianceComponent(name="sampling_and_labels", se=se, df=min(float(df), satterthwaite_df(parts)))
        return Uncertainty(
            interval=interval(run.value, (component,), level), se_sampling=se_sampling, se_oracle=se_oracle
        )
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


def difference(
    run: PointRun, other: PointRun, clusters: IntArray, level: float, *, arrays: TargetArrays | None = None
) -> Interval:
    """Inference for ``run - other``: paired influence functions or paired replicates (with the
    labels' small-sample factor and df when ``arrays`` carry a residual correction)."""
    label_df = _label_df(arrays)
    run, other = _small_sample_labels(run, label_df), _small_sample_labels(other, label_df)
    value = run.value - other.value
    df: float
    if run.sampling == "influence" and other.sampling == "influence":
        se, df = cluster_se(run.influence - other.influence, clusters)
    else:
        se, df = jackknife_se(run.group_replicates - other.group_replicates)
    mine, theirs = run.correction_influence, other.correction_influence
    if label_df is not None and mine is not None and theirs is not None:
        labels_se = cluster_se(mine - theirs, clusters)[0]
        sampling_se = cluster_se((run.influence - mine) - (other.influence - theirs), clusters)[0]
        parts = (
            VarianceComponent(name="sampling", se=sampling_se, df=df),
            VarianceComponent(name="labels", se=labels_se, df=label_df),
        )
        df = min(float(df), satterthwaite_df(parts))
    components = [VarianceComponent(name="sampling", se=se, df=df)]
    if run.oracle_replicates is not None and other.oracle_replicates is not None:
        oracle_se, oracle_df = jackknife_se(run.oracle_replicates - other.oracle_replicates)
        components.append(VarianceComponent(name="oracle", se=oracle_se, df=oracle_df))
    return interval(value, tuple(components), level)
