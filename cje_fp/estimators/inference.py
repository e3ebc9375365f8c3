"""Standard errors and intervals: cluster-robust influence functions, jackknives, Satterthwaite.

An estimate's variance is a sum of components, each with its degrees of
freedom: the sampling variance (from the influence function, clustered by
prompt, or from a grouped jackknife) and the oracle variance (the fold
jackknife of the calibration, the incumbent's OUA). The interval uses Student's
t with Satterthwaite's degrees of freedom for the sum, so a component estimated
from five folds widens the interval only as much as its share of the variance.

>>> import numpy as np
>>> influence = np.array([1.0, -1.0, 1.0, -1.0])
>>> variance, df = cluster_variance(influence, np.array([0, 1, 2, 3]))
>>> round(variance, 6), df
(0.333333, 3)
>>> result = interval(0.5, (VarianceComponent(name="sampling", variance=0.01, df=1e9),), 0.95)
>>> tuple(round(bound, 4) for bound in result.ci)
(0.304, 0.696)
"""

from __future__ import annotations

import math

import attrs
import numpy as np
from scipy.stats import t as student_t

from cje_fp.dataset import FloatArray, IntArray


def cluster_variance(influence: FloatArray, clusters: IntArray) -> tuple[float, int]:
    """CRV1 variance of the mean of ``influence`` with rows clustered by ``clusters`` (codes >= 0); and G - 1.

    ``influence`` must be centred. With one row per cluster this is ``var(ddof=1) / n``.
    """
    counts = np.bincount(clusters)
    totals = np.bincount(clusters, weights=influence, minlength=counts.size)[counts > 0]
    groups = totals.size
    if groups < 2:
        return math.inf, 1
    n = influence.size
    centred = totals - totals.mean()
    return float(groups / (groups - 1) * np.sum(centred**2) / n**2), groups - 1


def jackknife_variance(replicates: FloatArray) -> tuple[float, int]:
    """Delete-a-group jackknife variance ``(K-1)/K * sum (r_k - mean r)^2``; and K - 1."""
    k = replicates.size
    if k < 2:
        return math.inf, 1
    return float((k - 1) / k * np.sum((replicates - replicates.mean()) ** 2)), k - 1


@attrs.frozen(kw_only=True)
class VarianceComponent:
    """One source of uncertainty: its variance (of the estimate) and degrees of freedom."""

    name: str
    variance: float
    df: float

    @property
    def se(self) -> float:
        """Its standard error."""
        return math.sqrt(self.variance)


@attrs.frozen(kw_only=True)
class Interval:
    """Standard error, degrees of freedom and the interval at ``level``."""

    se: float
    df: float
    level: float
    ci: tuple[float, float]
    components: tuple[VarianceComponent, ...]


def satterthwaite_df(components: tuple[VarianceComponent, ...]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of variance components."""
    total = sum(component.variance for component in components)
    denominator = sum(component.variance**2 / component.df for component in components)
    return math.inf if denominator == 0.0 else total**2 / denominator


def interval(value: float, components: tuple[VarianceComponent, ...], level: float) -> Interval:
    """``value +- t_{df}(1 - (1 - level)/2) * se`` with Satterthwaite df."""
    variance = sum(component.variance for component in components)
    se = math.sqrt(variance)
    df = satterthwaite_df(components)
    quantile = 1.0 - (1.0 - level) / 2.0
    critical = float(student_t.ppf(quantile, min(df, 1e9)))
    return Interval(
        se=se, df=df, level=level, ci=(value - critical * se, value + critical * se), components=components
    )
