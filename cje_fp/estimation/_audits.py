"""Audits of fresh-draw estimates: does the calibration transport to the target, is the judge in range.

**Transport audit** (needs a probe slice: target responses with oracle labels).
The mean residual ``Y - prediction(S)`` of the direct estimator's reward on the
probe rows, with its 95% CI (probe rows' sampling, clustered by prompt, plus the
calibration labels' part), against an equivalence margin (default 0.05):

- ``FAIL``: the CI excludes 0 **and** ``|mean residual| > margin``: the judge ->
  oracle map learned on base responses misprices the target's responses. Direct,
  DR and their stack are then refused (``CalibrationDoesNotTransport``) unless
  the probe correction is asked for.
- ``PASS``: the whole CI lies within ``[-margin, margin]``.
- ``INCONCLUSIVE``: otherwise (with 50 probe rows most honest targets land
  here or PASS); the estimate is reported with a warning.

**Boundary audit**: the share of the target's fresh-draw judge scores outside
the range of judge scores that have oracle labels (the map is flat there, an
extrapolation). Warn above ``warn_share`` (default 5%), refuse above
``refuse_share`` (default 20%: a fifth of the target's mass priced by
extrapolation) with ``JudgeOutOfRange``.

>>> TransportThresholds().margin, BoundaryThresholds().refuse_share
(0.05, 0.2)
>>> transport_status(-0.12, (-0.2, -0.04), 0.05), transport_status(0.0, (-0.03, 0.03), 0.05)
('FAIL', 'PASS')
"""

from __future__ import annotations

import numpy as np

from cje_fp.data import FloatArray, IntArray
from cje_fp.estimation._audit_records import (
    BoundaryAudit as BoundaryAudit,
    BoundaryStatus as BoundaryStatus,
    BoundaryThresholds as BoundaryThresholds,
    CalibrationDoesNotTransport as CalibrationDoesNotTransport,
    JudgeOutOfRange as JudgeOutOfRange,
    NoFreshDraws as NoFreshDraws,
    TransportAudit as TransportAudit,
    TransportStatus as TransportStatus,
    TransportThresholds as TransportThresholds,
)
from cje_fp.estimation._fresh_core import (
    ComponentRun,
    FreshArrays,
    Part,
    probe_residual,
)
from cje_fp.estimation._fresh_reward import RewardModel
from cje_fp.estimation._inference import VarianceComponent, cluster_se, interval


def transport_status(mean: float, ci: tuple[float, float], margin: float) -> TransportStatus:
    """FAIL when the CI excludes 0 and the mean is beyond the margin; PASS when the CI is inside it."""
    low, high = ci
    if (low > 0.0 or high < 0.0) and abs(mean) > margin:
        return "FAIL"
    if -margin <= low and high <= margin:
        return "PASS"
    return "INCONCLUSIVE"


def transport_audit(
    model: RewardModel,
    arrays: FreshArrays,
    direct_run: ComponentRun,
    thresholds: TransportThresholds = TransportThresholds(),
) -> TransportAudit | None:
    """Audit the direct estimator's reward on the probe rows (None without probe rows)."""
    found = probe_residual(model, arrays, direct_run)
    if found is None or arrays.probe_oracle is None:
        return None
    mean, parts = found
    clusters = np.arange(arrays.n_clusters)
    total = np.sum([part.influence for part in parts], axis=0)
    se = cluster_se(total - total.mean(), clusters)[0]
    components = tuple(_component(part, clusters) for part in parts)
    df = interval(mean, components, thresholds.level).df
    result = interval(mean, (VarianceComponent(name="total", se=se, df=df),), thresholds.level)
    return TransportAudit(
        status=transport_status(mean, result.ci, thresholds.margin),
        mean_residual=mean,
        se=se,
        ci=result.ci,
        df=df,
        n_probe=int(arrays.probe_oracle.size),
        margin=thresholds.margin,
    )


def _component(part: Part, clusters: IntArray) -> VarianceComponent:
    return VarianceComponent(
        name=part.name, se=cluster_se(part.influence - part.influence.mean(), clusters)[0], df=part.df
    )


def boundary_audit(
    model: RewardModel, draw_judge: FloatArray, thresholds: BoundaryThresholds = BoundaryThresholds()
) -> BoundaryAudit:
    """Share of draws whose judge score lies outside the labelled rows' range."""
    low, high = model.judge_range
    below = float(np.mean(draw_judge < low)) if draw_judge.size else 0.0
    above = float(np.mean(draw_judge > high)) if draw_judge.size else 0.0
    share = below + above
    status: BoundaryStatus = (
        "REFUSE" if share > thresholds.refuse_share else ("WARN" if share > thresholds.warn_share else "PASS")
    )
    return BoundaryAudit(
        status=status, out_of_range_share=share, below_share=below, above_share=above, labelled_range=(low, high)
    )
