"""Standard errors and intervals: cluster-robust influence functions, jackknives, Satterthwaite.

An estimate's uncertainty is a sum of components, each with its degrees of
freedom: the sampling variance (from the influence function, clustered by
prompt, or from a grouped jackknife) and, only for plug-in calibrated rewards,
the oracle variance (the fold jackknife of the calibration, the incumbent's
OUA). The interval uses Student's t with Satterthwaite's degrees of freedom for
the sum, so a component estimated from five folds widens the interval only as
much as its share of the variance.

Components hold standard errors, not variances, and every sum of squares is
taken on values scaled by their largest magnitude: an influence function of
order 1e170 (one huge IPS weight) gives a finite standard error instead of an
overflowing variance.

>>> import numpy as np
>>> influence = np.array([1.0, -1.0, 1.0, -1.0])
>>> se, df = cluster_se(influence, np.array([0, 1, 2, 3]))
>>> round(se**2, 6), df
(0.333333, 3)
>>> result = interval(0.5, (VarianceComponent(name="sampling", se=0.1, df=1e9),), 0.95)
>>> tuple(round(bound, 4) for bound in result.ci)
(0.304, 0.696)
>>> huge = cluster_se(np.array([1e200, -1e200, 1e200, -1e200]), np.arange(4))[0]
>>> bool(np.isfinite(huge)), round(huge / 1e200, 4)
(True, 0.5774)
"""

from __future__ import annotations

import math
from typing import final

import attrs
import numpy as np
from scipy.stats import t as student_t

from cje_fp.data import FloatArray, IntArray


def root_sum_squares(values: FloatArray) -> float:
    """``sqrt(sum(values**2))`` without overflow (values scaled by their largest magnitude)."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0.0 or not math.isfinite(largest):
        return largest
    scaled = values / largest
    return largest * math.sqrt(float(np.dot(scaled, scaled)))


def cluster_se(influence: FloatArray, clusters: IntArray) -> tuple[float, int]:
    """CRV1 standard error of the mean of ``influence`` with rows clustered by ``clusters``; and G - 1.

    ``influence`` must be centred and ``clusters`` are codes >= 0. With one row
    per cluster this is ``sd(ddof=1) / sqrt(n)``. Needs at least two non-empty
    clusters (callers check the number of clusters first).
    """
    counts = np.bincount(clusters)
    totals = np.bincount(clusters, weights=influence, minlength=counts.size)[counts > 0]
    groups = totals.size
    if groups < 2:
        raise ValueError(f"a clustered standard error needs at least 2 clusters, got {groups}")
    centred = totals - totals.mean()
    return math.sqrt(groups / (groups - 1)) * root_sum_squares(centred) / influence.size, groups - 1


def jackknife_se(replicates: FloatArray) -> tuple[float, int]:
    """Delete-a-group jackknife standard error ``sqrt((K-1)/K * sum (r_k - mean r)^2)``; and K - 1.

    ``replicates`` holds one value per **non-empty** group (an empty group's
    replicate would be the full estimate and inflate K).
    """
    k = replicates.size
    if k < 2:
        raise ValueError(f"a jackknife needs at least 2 groups, got {k}")
    return math.sqrt((k - 1) / k) * root_sum_squares(replicates - replicates.mean()), k - 1


def robust_jackknife_se(replicates: FloatArray) -> float:
    """A jackknife standard error from the median absolute deviation of the replicates.

    Equal to ``jackknife_se`` for normal replicates in expectation, but one
    group holding a giant weight cannot inflate it.
    """
    k = replicates.size
    deviation = 1.4826 * float(np.median(np.abs(replicates - np.median(replicates))))
    return math.sqrt(k - 1) * deviation


@final
@attrs.frozen(kw_only=True)
class VarianceComponent:
    """One source of uncertainty: its standard error (of the estimate) and degrees of freedom."""

    name: str
    se: float
    df: float

    @property
    def variance(self) -> float:
        """``se**2`` (inf when it exceeds the float range)."""
        return self.se * self.se


@final
@attrs.frozen(kw_only=True)
class Interval:
    """Standard error, degrees of freedom and the interval at ``level``."""

    se: float
    df: float
    level: float
    ci: tuple[float, float]
    components: tuple[VarianceComponent, ...]


def satterthwaite_df(components: tuple[VarianceComponent, ...]) -> float:
    """Welch-Satterthwaite degrees of freedom of a sum of variance components.

    With zero total variance (a degenerate interval) this is the smallest
    component df, so it stays finite.
    """
    largest = max(component.se for component in components)
    if largest == 0.0:
        return min(component.df for component in components)
    shares = [(component.se / largest) ** 2 for component in components]
    denominator = sum(share**2 / component.df for share, component in zip(shares, components, strict=True))
    return sum(shares) ** 2 / denominator


def interval(value: float, components: tuple[VarianceComponent, ...], level: float) -> Interval:
    """``value +- t_{df}(1 - (1 - level)/2) * se`` with Satterthwaite df."""
    se = root_sum_squares(np.array([component.se for component in components]))
    df = satterthwaite_df(components)
    quantile = 1.0 - (1.0 - level) / 2.0
    critical = float(student_t.ppf(quantile, min(df, 1e9)))
    return Interval(
        se=se, df=df, level=level, ci=(value - critical * se, value + critical * se), components=components
    )
