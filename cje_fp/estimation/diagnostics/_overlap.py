"""Overlap diagnostics, refusal gates and the missingness check.

Every overlap diagnostic is computed from the **raw** log weights of the rows
used (never from calibrated weights: projecting weights cannot create overlap
that the logs do not have, and the incumbent's calibrated ESS hid exactly that),
and in log space, so that no weight ever overflows.

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
  p < 0.01 and |SMD| >= 0.1; refuse when p < 0.001 and |SMD| >= 0.5.

>>> import numpy as np
>>> diagnostics = overlap_diagnostics(np.log(np.array([1.0, 1.0, 1.0, 1.0])))
>>> diagnostics.ess_fraction, diagnostics.max_weight_share, diagnostics.psis_k
(1.0, 0.25, None)
>>> evaluate_gates(diagnostics, GateThresholds(min_ess=2.0)).refusals
()
"""

from __future__ import annotations

import math
from typing import Final, Literal, TypeAlias

import attrs
import numpy as np
from scipy.stats import mannwhitneyu

from cje_fp.data import BoolArray, FloatArray
from cje_fp.scoring import log_sum_exp

#: The fewest rows for which the Hill estimator is computed.
HILL_MIN_ROWS: Final = 50

#: Fewer exceedances than this and the Pareto tail is not fitted (as PSIS).
PSIS_MIN_TAIL: Final = 5

#: Log weights closer than this count as tied (rounding noise in log probs is ~1e-15 per token).
_TIE: Final = 1e-8

#: The largest log of a finite float64.
_MAX_LOG: Final = math.log(np.finfo(np.float64).max)


@attrs.frozen(kw_only=True)
class OverlapDiagnostics:
    """How well the logged rows cover a target policy, from its raw log weights."""

    n: int
    ess_fraction: float
    max_weight_share: float
    hill_tail_index: float | None
    """None when there are fewer than ``HILL_MIN_ROWS`` rows; inf when the top weights are equal."""
    hill_k: int
    near_zero_fraction: float
    support_mass: float
    """Mean raw weight ``mean(pi'/pi0)``: estimates the target's probability mass on responses the
    base policy produces (1 under full support). Self-normalised weights cannot show a shortfall.
    ``inf`` when it exceeds the float range (``log_support_mass`` is always finite)."""
    support_mass_se: float
    """Standard error of ``support_mass`` (``inf`` when it exceeds the float range)."""
    log_support_mass: float
    """``log(support_mass)``, computed in log space (finite for any finite log weights)."""
    support_mass_relative_se: float
    """``support_mass_se / support_mass``, computed without overflow."""
    ess: float
    """Effective sample size ``(sum w)^2 / sum w^2`` (rows, not a fraction)."""
    psis_k: float | None
    """Pareto shape ``k`` of the weights' upper tail (PSIS); None when fewer than ``PSIS_MIN_TAIL``
    weights exceed the tail threshold; inf when the tail spans more than the float range."""
    psis_tail: int
    """How many of the largest weights the Pareto fit used."""
    top_share: float
    """Share of the weights' sum carried by the largest 5% of them."""
    weight_cv: float
    """Coefficient of variation of the weights (``sqrt(1 / ess_fraction - 1)``)."""


def hill_tail_index(log_weights: FloatArray) -> tuple[float | None, int]:
    """Hill's estimator of the weights' tail index, computed on log weights; and k.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> alpha, k = hill_tail_index(np.log(rng.pareto(1.5, 100_000) + 1.0))
    >>> round(alpha, 1), k
    (1.5, 5000)
    """
    n = log_weights.size
    if n < HILL_MIN_ROWS:
        return None, 0
    k = min(max(10, int(0.05 * n)), int(0.1 * n))
    top = np.partition(log_weights, n - k - 1)[n - k - 1 :]
    threshold = top.min()
    excess = float(np.sum(top - threshold))
    return (math.inf if excess == 0.0 else k / excess), k


def generalized_pareto_shape(exceedances: FloatArray) -> float:
    """Zhang & Stephens (2009) estimate of a generalized Pareto shape, with PSIS's prior.

    ``exceedances`` are positive and sorted ascending. The scale-shape profile
    posterior is evaluated on ``30 + sqrt(n)`` candidate values of
    ``theta = -k / sigma``; the shape at the posterior mean of ``theta`` is then
    shrunk toward 0.5 with a prior worth 10 observations (as in PSIS).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> draws = np.sort((rng.pareto(1 / 0.6, 20_000) + 1.0) - 1.0)  # shape 0.6
    >>> round(generalized_pareto_shape(draws), 1)
    0.6
    """
    n = exceedances.size
    quartile = exceedances[int(n / 4 + 0.5) - 1]
    largest = exceedances[-1]
    if quartile <= 0.0:
        return math.inf
    candidates = 30 + int(math.sqrt(n))
    theta = 1.0 / largest + (1.0 - np.sqrt(candidates / (np.arange(1, candidates + 1) - 0.5))) / (3.0 * quartile)
    with np.errstate(divide="ignore", invalid="ignore"):
        shapes = np.log1p(-theta[:, None] * exceedances[None, :]).mean(axis=1)
        profile = n * (np.log(-theta / shapes) - shapes - 1.0)
    usable = np.isfinite(profile)
    if not usable.any():
        return math.inf
    theta, profile = theta[usable], profile[usable]
    posterior = np.exp(profile - log_sum_exp(profile))
    theta_hat = float(np.dot(theta, posterior) / posterior.sum())
    shape = float(np.mean(np.log1p(-theta_hat * exceedances)))
    return (n * shape + 10.0 * 0.5) / (n + 10.0)


def psis_shape(log_weights: FloatArray) -> tuple[float | None, int]:
    """PSIS ``k``: the Pareto shape of the largest ``ceil(min(0.2 n, 3 sqrt n))`` weights; and the tail size.

    Ties at the threshold (within 1e-8 in log space, i.e. rounding noise) are
    left out of the tail; with fewer than ``PSIS_MIN_TAIL`` weights above it the
    shape is not estimated (None).

    >>> import numpy as np
    >>> psis_shape(np.zeros(1000))
    (None, 0)
    >>> k, tail = psis_shape(np.random.default_rng(0).normal(0.0, 0.3, 4000))
    >>> k < 0.3, tail
    (True, 190)
    """
    n = log_weights.size
    size = int(math.ceil(min(0.2 * n, 3.0 * math.sqrt(n))))
    if size < PSIS_MIN_TAIL or n <= size:
        return None, 0
    top = np.sort(np.partition(log_weights, n - size - 1)[n - size - 1 :])
    threshold = top[0]
    tail = top[top > threshold + _TIE]
    if tail.size < PSIS_MIN_TAIL:
        return None, 0
    peak = tail[-1]
    exceedances = np.exp(tail - peak) - math.exp(threshold - peak)
    return generalized_pareto_shape(exceedances), int(tail.size)


def overlap_diagnostics(log_weights: FloatArray, near_zero_weight: float = 1e-10) -> OverlapDiagnostics:
    """ESS, tail shape (PSIS k, Hill), concentration, near-zero and support mass of raw log weights."""
    n = log_weights.size
    peak = float(log_weights.max())
    scaled = np.exp(log_weights - peak)
    total = float(scaled.sum())
    squares = float(np.dot(scaled, scaled))
    ess = total**2 / squares
    alpha, k = hill_tail_index(log_weights)
    psis_k, psis_tail = psis_shape(log_weights)
    top_count = max(1, int(math.ceil(0.05 * n)))
    top = float(np.partition(scaled, n - top_count)[n - top_count :].sum()) if n else 0.0
    mean_scaled = total / n
    log_mass = peak + math.log(mean_scaled)
    relative_se = float(scaled.std(ddof=1)) / mean_scaled / math.sqrt(n) if n > 1 else math.inf
    mass = math.exp(log_mass) if log_mass < _MAX_LOG else math.inf
    return OverlapDiagnostics(
        n=n,
        ess_fraction=ess / n,
        max_weight_share=1.0 / total,
        hill_tail_index=alpha,
        hill_k=k,
        near_zero_fraction=float(np.mean(log_weights < math.log(near_zero_weight))),
        support_mass=mass,
        support_mass_se=mass * relative_se if math.isfinite(mass) else math.inf,
        log_support_mass=log_mass,
        support_mass_relative_se=relative_se,
        ess=ess,
        psis_k=psis_k,
        psis_tail=psis_tail,
        top_share=top / total,
        weight_cv=math.sqrt(max(0.0, n / ess - 1.0)),
    )


@attrs.frozen(kw_only=True)
class GateThresholds:
    """When a diagnostic warns and when it refuses (see the module docstring for sources)."""

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
    relative_gap = math.inf if -log_mass >= _MAX_LOG else abs(math.expm1(-log_mass))  # |1 - 1/mean|
    significant = relative_gap > z * relative_se
    if log_mass >= _MAX_LOG:
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


# Missingness ------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Association:
    """How a variable differs between excluded and used rows."""

    variable: str
    mean_used: float
    mean_excluded: float
    smd: float
    """(mean excluded - mean used) / pooled standard deviation; 0 when both are constant."""
    p_value: float
    """Two-sided Mann-Whitney U test (asymptotic)."""


@attrs.frozen(kw_only=True)
class MissingnessCheck:
    """Whether losing rows for this target is associated with judge score or response length."""

    n_used: int
    n_excluded: int
    associations: tuple[Association, ...]
    status: GateStatus
    tested: bool
    """False when too few rows were excluded to test (the status then says so)."""


def _associate(variable: str, values: FloatArray, excluded: BoolArray) -> Association | None:
    used_values, excluded_values = values[~excluded], values[excluded]
    if used_values.size < 2 or excluded_values.size < 2:
        return None
    pooled = math.sqrt((used_values.var(ddof=1) + excluded_values.var(ddof=1)) / 2.0)
    difference = float(excluded_values.mean() - used_values.mean())
    smd = difference / pooled if pooled > 0 else 0.0
    constant = np.ptp(values) == 0.0
    p_value = 1.0 if constant else float(
        mannwhitneyu(excluded_values, used_values, alternative="two-sided", method="asymptotic").pvalue
    )
    return Association(
        variable=variable,
        mean_used=float(used_values.mean()),
        mean_excluded=float(excluded_values.mean()),
        smd=smd,
        p_value=p_value,
    )


def missingness_check(
    excluded: BoolArray,
    judge: FloatArray,
    judge_present: BoolArray,
    response_length: FloatArray,
    thresholds: GateThresholds,
) -> MissingnessCheck:
    """Test whether the excluded rows differ from the used ones (judge score, response length)."""
    n_excluded = int(excluded.sum())
    n_used = int(excluded.size - n_excluded)
    if n_excluded < thresholds.missingness_min_excluded:
        note = () if n_excluded == 0 else (
            f"{n_excluded} excluded row(s): too few to test whether exclusion is informative",
        )
        return MissingnessCheck(
            n_used=n_used, n_excluded=n_excluded, associations=(), status=GateStatus(warnings=note), tested=False
        )
    candidates = (
        _associate("judge_score", judge[judge_present], excluded[judge_present]),
        _associate("response_length", response_length, excluded),
    )
    associations = tuple(association for association in candidates if association is not None)
    refusals: list[str] = []
    warnings: list[str] = []
    for association in associations:
        message = (
            f"excluded rows differ in {association.variable}: mean {association.mean_excluded:.3g} vs "
            f"{association.mean_used:.3g} used (SMD {association.smd:+.2f}, p={association.p_value:.2g})"
        )
        strength = abs(association.smd)
        if association.p_value < thresholds.missingness_refuse_p and strength >= thresholds.missingness_refuse_smd:
            refusals.append(message)
        elif association.p_value < thresholds.missingness_warn_p and strength >= thresholds.missingness_warn_smd:
            warnings.append(message)
    return MissingnessCheck(
        n_used=n_used,
        n_excluded=n_excluded,
        associations=associations,
        status=GateStatus(refusals=tuple(refusals), warnings=tuple(warnings)),
        tested=True,
    )
