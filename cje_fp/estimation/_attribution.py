"""Where an estimate's uncertainty comes from: oracle labels or logged rows; and what would halve it.

With calibrated rewards an estimate's variance has two parts: sampling
(``se_sampling``: the logged rows, as if the judge -> oracle map were exact)
and the oracle labels (``se_oracle``: the residual correction, or the
calibration's fold jackknife in plug-in mode). The label part shrinks like
``1 / labels``, the sampling part does not. So the interval halves (variance /
4) by labelling alone only when the label part is more than three quarters of
the variance, with about ``labels * V_o / (V / 4 - V_s)`` labels in all. The
count is an upper bound when labels are very few: more labels also improve
the calibration map, which shrinks the residuals (in the ``few-labels``
scenario, 15 labels, the count asked for cut the spread to 0.37-0.43 of its
value rather than 0.5).

>>> attribution = attribute(se_sampling=0.01, se_oracle=0.03, n_labels=100, n_rows=5000)
>>> round(attribution.share_labels, 2), attribution.labels_to_halve
(0.9, 600)
>>> attribute(se_sampling=0.03, se_oracle=0.01, n_labels=100, n_rows=5000).labels_to_halve is None
True
"""

from __future__ import annotations

import math
from typing import final

import attrs

from cje_fp.estimation._results import Estimate


@final
@attrs.frozen(kw_only=True)
class VarianceAttribution:
    """The shares of an estimate's variance due to oracle labels and to sampling, and labels to halve the CI."""

    share_labels: float
    """``se_oracle^2 / (se_sampling^2 + se_oracle^2)``."""
    share_sampling: float
    n_labels: int
    labels_to_halve: int | None
    """About how many labels in all would halve the interval's width (same rows); None when labels
    alone cannot (the sampling part is at least a quarter of the variance, or more labels than rows
    would be needed)."""

    def describe(self) -> str:
        """One line for humans."""
        head = (
            f"{self.share_labels:.0%} of the variance from {self.n_labels} oracle labels, "
            f"{self.share_sampling:.0%} from sampling"
        )
        if self.labels_to_halve is None:
            return head + "; labelling alone cannot halve the interval: it needs more logged rows"
        return head + f"; about {self.labels_to_halve} labels in all would halve the interval"


def attribute(*, se_sampling: float, se_oracle: float, n_labels: int, n_rows: int) -> VarianceAttribution:
    """The attribution from the two standard errors, the labels used and the rows used."""
    sampling, labels = se_sampling**2, se_oracle**2
    total = sampling + labels
    if total == 0.0 or n_labels == 0:
        return VarianceAttribution(share_labels=0.0, share_sampling=1.0, n_labels=n_labels, labels_to_halve=None)
    room = total / 4.0 - sampling
    needed = None if room <= 0.0 else math.ceil(n_labels * labels / room)
    return VarianceAttribution(
        share_labels=labels / total,
        share_sampling=sampling / total,
        n_labels=n_labels,
        labels_to_halve=None if needed is None or needed > n_rows else needed,
    )


def variance_attribution(estimate: Estimate) -> VarianceAttribution | None:
    """The attribution of an estimate with calibrated rewards (None for oracle or raw judge rewards)."""
    summary = estimate.diagnostics.calibration
    if estimate.se_oracle is None or summary is None:
        return None
    n_labels = summary.n_labels_used if summary.mode == "residual-corrected" else summary.n_labels
    return attribute(
        se_sampling=estimate.se_sampling, se_oracle=estimate.se_oracle, n_labels=n_labels, n_rows=estimate.n_used
    )
