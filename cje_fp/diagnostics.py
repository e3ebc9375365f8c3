"""Overlap diagnostics, refusal gates and the missingness check.

Every overlap diagnostic is computed from the **raw** log weights of the rows
used (never from calibrated weights: projecting weights cannot create overlap
that the logs do not have, and the incumbent's calibrated ESS hid exactly that).

Default thresholds (``GateThresholds``), with their source:

- ESS fraction ``(sum w)^2 / (n sum w^2)``: refuse below 0.10, warn below 0.30
  (the incumbent's CRITICAL and gate levels).
- Hill tail index of the weights (top ``k = max(10, 5%)`` capped at 10%, as the
  incumbent): refuse below 1 (infinite-mean tail, Pareto-smoothed IS's k > 1),
  warn below 2 (infinite variance: normal-theory intervals unreliable).
- Near-zero mass, the fraction of rows whose raw weight ``pi'/pi0`` is below
  1e-10: refuse above 0.85 (the incumbent's gate), warn above 0.50.
- Support mass, the mean raw weight ``mean(pi'/pi0)`` (an unbiased estimate of
  the target's probability on responses the base policy can produce; 1 under
  full support): refuse when even mean + 2 SE is below 0.5, warn below 0.8.
  Self-normalised weights (SNIPS, calibrated IPS) rescale this shortfall away.
- Missingness: rows without a weight vs rows used, on judge score and response
  length (Mann-Whitney p-value and standardised mean difference): warn when
  p < 0.01 and |SMD| >= 0.1; refuse when p < 0.001 and |SMD| >= 0.5.

>>> import numpy as np
>>> diagnostics = overlap_diagnostics(np.log(np.array([1.0, 1.0, 1.0, 1.0])))
>>> diagnostics.ess_fraction, diagnostics.max_weight_share
(1.0, 0.25)
>>> evaluate_gates(diagnostics, GateThresholds()).refusals
()
"""

from __future__ import annotations

import math
from typing import Final, Literal, TypeAlias

import attrs
import numpy as np
from scipy.stats import mannwhitneyu

from cje_fp.dataset import BoolArray, FloatArray
from cje_fp.weights import log_sum_exp

#: The fewest rows for which the Hill estimator is computed.
HILL_MIN_ROWS: Final = 50


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
    base policy produces (1 under full support). Self-normalised weights cannot show a shortfall."""
    support_mass_se: float


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


def overlap_diagnostics(log_weights: FloatArray, near_zero_weight: float = 1e-10) -> OverlapDiagnostics:
    """ESS fraction, max-weight share, Hill tail index and near-zero mass of raw log weights."""
    n = log_weights.size
    total = log_sum_exp(log_weights)
    shares = np.exp(log_weights - total)
    alpha, k = hill_tail_index(log_weights)
    peak = float(log_weights.max())
    scaled = np.exp(log_weights - peak)
    scale = math.exp(min(peak, 700.0))
    return OverlapDiagnostics(
        n=n,
        ess_fraction=float(1.0 / np.sum(shares**2) / n),
        max_weight_share=float(shares.max()),
        hill_tail_index=alpha,
        hill_k=k,
        near_zero_fraction=float(np.mean(log_weights < math.log(near_zero_weight))),
        support_mass=float(scaled.mean()) * scale,
        support_mass_se=float(scaled.std(ddof=1) / math.sqrt(n)) * scale if n > 1 else math.inf,
    )


@attrs.frozen(kw_only=True)
class GateThresholds:
    """When a diagnostic warns and when it refuses (see the module docstring for sources)."""

    min_ess_fraction: float = 0.10
    warn_ess_fraction: float = 0.30
    min_tail_index: float = 1.0
    warn_tail_index: float = 2.0
    max_near_zero_fraction: float = 0.85
    warn_near_zero_fraction: float = 0.50
    near_zero_weight: float = 1e-10
    min_support_mass: float = 0.5
    warn_support_mass: float = 0.8
    missingness_warn_p: float = 0.01
    missingness_warn_smd: float = 0.1
    missingness_refuse_p: float = 0.001
    missingness_refuse_smd: float = 0.5
    missingness_min_excluded: int = 10


GateLevel: TypeAlias = Literal["pass", "warn", "refuse"]


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


def evaluate_gates(diagnostics: OverlapDiagnostics, thresholds: GateThresholds) -> GateStatus:
    """Compare the diagnostics with the thresholds."""
    refusals: list[str] = []
    warnings: list[str] = []
    ess = diagnostics.ess_fraction
    if ess < thresholds.min_ess_fraction:
        refusals.append(f"ESS fraction {ess:.4f} < {thresholds.min_ess_fraction}")
    elif ess < thresholds.warn_ess_fraction:
        warnings.append(f"ESS fraction {ess:.3f} < {thresholds.warn_ess_fraction}")
    alpha = diagnostics.hill_tail_index
    if alpha is None:
        warnings.append(f"tail index not estimated (fewer than {HILL_MIN_ROWS} rows)")
    elif alpha < thresholds.min_tail_index:
        refusals.append(f"Hill tail index {alpha:.2f} < {thresholds.min_tail_index} (infinite-mean weights)")
    elif alpha < thresholds.warn_tail_index:
        warnings.append(f"Hill tail index {alpha:.2f} < {thresholds.warn_tail_index} (infinite-variance weights)")
    near_zero = diagnostics.near_zero_fraction
    if near_zero > thresholds.max_near_zero_fraction:
        refusals.append(
            f"{near_zero:.1%} of rows have weight < {thresholds.near_zero_weight:g} "
            f"(> {thresholds.max_near_zero_fraction:.0%})"
        )
    elif near_zero > thresholds.warn_near_zero_fraction:
        warnings.append(f"{near_zero:.1%} of rows have weight < {thresholds.near_zero_weight:g}")
    support_upper = diagnostics.support_mass + 2.0 * diagnostics.support_mass_se
    support = f"target mass on the logged responses' support {diagnostics.support_mass:.3g} (+2 SE: {support_upper:.3g})"
    if support_upper < thresholds.min_support_mass:
        refusals.append(f"{support} < {thresholds.min_support_mass}")
    elif support_upper < thresholds.warn_support_mass:
        warnings.append(f"{support} < {thresholds.warn_support_mass}")
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
