"""Refusal gates: when the overlap diagnostics warn and when they refuse an estimate.

Default thresholds (``GateThresholds``), with their source:

- ESS fraction ``(sum w)^2 / (n sum w^2)``: refuse below 0.10, warn below 0.30
  (the incumbent's CRITICAL and gate levels, cje-eval 0.3 ``gates.py``); also
  refuse when the absolute ESS is below 30 (too few effective rows for a
  normal-theory interval, whatever ``n``).
- Pareto tail shape ``k`` (PSIS diagnostic; Vehtari, Simpson, Gelman, Yao &
  Gabry, "Pareto smoothed importance sampling", JMLR 2024): a generalized
  Pareto distribution is fitted to the largest ``M = ceil(min(0.2 n, 3 sqrt n))``
  weights (exceedances over the next largest; ties at the threshold are not in
  the tail) with the Zhang & Stephens (2009) profile-posterior estimate and the
  weakly informative prior used by PSIS. Refuse above 0.7 (importance sampling
  no longer converges at a usable rate), warn above 0.5 (infinite variance:
  normal-theory intervals unreliable). Not estimated (no gate) when fewer than
  5 weights exceed the threshold, e.g. when the weights are bounded and tied.
- Hill's tail index (top ``k = max(10, 5%)`` capped at 10%, as the incumbent)
  is reported but gates nothing: a single-``k`` Hill estimate swings across 1
  with the choice of ``k`` on real data (arena ``clone``: 1.45 at k=10, 0.76 at
  k=50, 1.30 at k=100), whereas the PSIS fit pools the tail.
- Concentration (the incumbent's third gate): refuse when the largest 5% of the
  weights carry more than 30% of their sum **and** the weights' coefficient of
  variation exceeds 2.
- Near-zero mass, the fraction of rows whose raw weight ``pi'/pi0`` is below
  1e-10: refuse above 0.85 (the incumbent's gate), warn above 0.50.
- Support mass, the mean raw weight ``mean(pi'/pi0)`` (an unbiased estimate of
  the target's probability on responses the base policy can produce; 1 under
  full support): refuse every estimator when even mean + 2 SE is below 0.5.
- Mean weight away from one: refuse unnormalised IPS (``ips``,
  ``clipped-ips``) and warn self-normalised estimators when
  ``|mean w - 1| > 2 SE`` **and** ``|mean w - 1| > 0.10``. Under the base
  policy the weights have mean at most one; a mean well above one means the log
  probs are not a probability ratio (e.g. different temperatures or
  tokenisations), a mean well below one means missing support: IPS is then
  biased by the same factor, while SNIPS rescales it away (hence only a
  warning). The 10% tolerance keeps chance excursions (about 5% of samples at
  2 SE) from refusing well-behaved IPS.
- Missingness: rows without a weight vs rows used, on judge score and response
  length (Mann-Whitney p-value and standardised mean difference): warn when
  p < 0.01 and |SMD| >= 0.1; refuse when p < 0.001 and |SMD| >= 0.5 (``missingness_check``).

>>> from cje_fp.estimation.diagnostics._overlap import overlap_diagnostics
>>> import numpy as np
>>> diagnostics = overlap_diagnostics(np.log(np.array([1.0, 1.0, 1.0, 1.0])))
>>> evaluate_gates(diagnostics, GateThresholds(min_ess=2.0)).refusals
()
"""

from __future__ import annotations

import math
from typing import Literal, TypeAlias, final

import attrs

from cje_fp.estimation.diagnostics._overlap import MAX_LOG, OverlapDiagnostics


@final
@attrs.frozen(kw_only=True)
class GateThresholds:
    """When a diagnostic warns and when it refuses (see the module docstring for sources;
    the missingness thresholds are used by ``missingness_check``)."""

    min_ess_fraction: float = 0.10
    warn_ess_fraction: float = 0.30
    min_ess: float = 30.0
    max_psis_k: float = 0.7
    warn_psis_k: float = 0.5
    max_top_share: float = 0.30
    max_weight_cv: float = 2.0
    max_near_zero_fraction: float = 0.85
    warn_near_zero_fraction: float = 0.50
    near_zero_weight: float = 1e-10
    min_support_mass: float = 0.5
    mean_weight_z: float = 2.0
    mean_weight_tolerance: float = 0.10
    missingness_warn_p: float = 0.01
    missingness_warn_smd: float = 0.1
    missingness_refuse_p: float = 0.001
    missingness_refuse_smd: float = 0.5
    missingness_min_excluded: int = 10


GateLevel: TypeAlias = Literal["pass", "warn", "refuse"]

WeightNormalisation: TypeAlias = Literal["self-normalised", "unnormalised"]
"""How an estimator uses the weights: divided by their sum (SNIPS, calibrated IPS) or by n (IPS)."""


@final
@attrs.frozen(kw_only=True)
class GateStatus:
    """The gates' verdict: reasons to refuse and reasons to warn."""

    refusals: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def level(self) -> GateLevel:
        """``refuse`` if any refusal, else ``warn`` if any warning, else ``pass``."""
        return "refuse" if self.refusals else ("warn" if self.warnings else "pass")

    def __add__(self, other: GateStatus) -> GateStatus:
        return GateStatus(refusals=self.refusals + other.refusals, warnings=self.warnings + other.warnings)

    def prefixed(self, prefix: str) -> GateStatus:
        """Every reason with ``prefix`` in front (e.g. the policy it is about)."""
        return GateStatus(
            refusals=tuple(prefix + reason for reason in self.refusals),
            warnings=tuple(prefix + reason for reason in self.warnings),
        )


@final
@attrs.frozen(kw_only=True)
class _MeanWeightCheck:
    """``|mean w - 1|`` against its SE and a tolerance, computed without overflow."""

    significant: bool
    """``|mean w - 1| > z SE``, as ``|1 - 1/mean w| > z * relative SE``."""
    large: bool
    """``|mean w - 1| > tolerance``."""
    shown: str
    """The mean weight and its SE, for messages."""


def _mean_weight_check(diagnostics: OverlapDiagnostics, z: float, tolerance: float) -> _MeanWeightCheck:
    log_mass = diagnostics.log_support_mass
    relative_se = diagnostics.support_mass_relative_se
    relative_gap = math.inf if -log_mass >= MAX_LOG else abs(math.expm1(-log_mass))  # |1 - 1/mean|
    significant = relative_gap > z * relative_se
    if log_mass >= MAX_LOG:
        return _MeanWeightCheck(
            significant=significant, large=True, shown=f"exp({log_mass:.1f}) (relative SE {relative_se:.2g})"
        )
    mass = math.exp(log_mass)
    return _MeanWeightCheck(
        significant=significant, large=abs(mass - 1.0) > tolerance, shown=f"{mass:.3g} (SE {mass * relative_se:.2g})"
    )


def evaluate_gates(
    diagnostics: OverlapDiagnostics,
    thresholds: GateThresholds,
    normalisation: WeightNormalisation = "self-normalised",
) -> GateStatus:
    """Compare the diagnostics with the thresholds, for an estimator that normalises its weights or not."""
    refusals: list[str] = []
    warnings: list[str] = []
    ess = diagnostics.ess_fraction
    if ess < thresholds.min_ess_fraction:
        refusals.append(f"ESS fraction {ess:.4f} < {thresholds.min_ess_fraction}")
    elif ess < thresholds.warn_ess_fraction:
        warnings.append(f"ESS fraction {ess:.3f} < {thresholds.warn_ess_fraction}")
    if diagnostics.ess < thresholds.min_ess:
        refusals.append(f"ESS {diagnostics.ess:.1f} rows < {thresholds.min_ess:g}")
    shape = diagnostics.psis_k
    if shape is not None:
        if shape > thresholds.max_psis_k:
            refusals.append(f"Pareto tail shape k {shape:.2f} > {thresholds.max_psis_k} (PSIS: unreliable)")
        elif shape > thresholds.warn_psis_k:
            warnings.append(f"Pareto tail shape k {shape:.2f} > {thresholds.warn_psis_k} (infinite-variance weights)")
    if diagnostics.top_share > thresholds.max_top_share and diagnostics.weight_cv > thresholds.max_weight_cv:
        refusals.append(
            f"top 5% of weights carry {diagnostics.top_share:.1%} of the mass (> {thresholds.max_top_share:.0%}) "
            f"with CV {diagnostics.weight_cv:.2f} > {thresholds.max_weight_cv:g}"
        )
    near_zero = diagnostics.near_zero_fraction
    if near_zero > thresholds.max_near_zero_fraction:
        refusals.append(
            f"{near_zero:.1%} of rows have weight < {thresholds.near_zero_weight:g} "
            f"(> {thresholds.max_near_zero_fraction:.0%})"
        )
    elif near_zero > thresholds.warn_near_zero_fraction:
        warnings.append(f"{near_zero:.1%} of rows have weight < {thresholds.near_zero_weight:g}")
    log_upper = diagnostics.log_support_mass + math.log1p(2.0 * diagnostics.support_mass_relative_se)
    if log_upper < math.log(thresholds.min_support_mass):
        refusals.append(
            f"target mass on the logged responses' support {diagnostics.support_mass:.3g} "
            f"(+2 SE: {math.exp(log_upper):.3g}) < {thresholds.min_support_mass}"
        )
    check = _mean_weight_check(diagnostics, thresholds.mean_weight_z, thresholds.mean_weight_tolerance)
    if check.significant and check.large:
        message = (
            f"mean weight {check.shown} is not 1: the log probs are not a probability ratio "
            "on these rows (or the target has mass the base policy never produces)"
        )
        if normalisation == "unnormalised":
            refusals.append(message)
        else:
            warnings.append(message + "; self-normalisation rescales it")
    return GateStatus(refusals=tuple(refusals), warnings=tuple(warnings))
