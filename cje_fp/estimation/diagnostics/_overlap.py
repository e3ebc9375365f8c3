"""How well the logged rows cover a target policy: ESS, tails, concentration and support mass.

Every overlap diagnostic is computed from the **raw** log weights of the rows
used (never from calibrated weights: projecting weights cannot create overlap
that the logs do not have, and the incumbent's calibrated ESS hid exactly that),
and in log space, so that no weight ever overflows. The ESS is Kish's
``(sum w)^2 / sum w^2``, computed once, by ``cje_fp.scoring.effective_sample_size``;
``ess_fraction`` and ``ess_fraction_of_weights`` divide it by the rows.

>>> import numpy as np
>>> diagnostics = overlap_diagnostics(np.log(np.array([1.0, 1.0, 1.0, 1.0])))
>>> diagnostics.ess_fraction, diagnostics.max_weight_share, diagnostics.psis_k
(1.0, 0.25, None)
>>> ess_fraction_of_weights(np.array([2.0, 0.0, 2.0, 0.0]))
0.5
"""

from __future__ import annotations

import math
from typing import Final, final

import attrs
import numpy as np

from cje_fp.data import FloatArray
from cje_fp.estimation.diagnostics._tails import hill_tail_index, psis_shape
from cje_fp.scoring import effective_sample_size

#: The largest log of a finite float64.
MAX_LOG: Final = math.log(np.finfo(np.float64).max)


@final
@attrs.frozen(kw_only=True)
class OverlapDiagnostics:
    """How well the logged rows cover a target policy, from its raw log weights."""

    n: int
    ess_fraction: float
    max_weight_share: float
    hill_tail_index: float | None
    """None when there are fewer than ``HILL_MIN_ROWS`` (``_tails``) rows; inf when the top weights are equal."""
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


def ess_fraction(log_weights: FloatArray) -> float:
    """Kish's ESS of the weights ``exp(log_weights)`` as a fraction of the rows (0 for no rows)."""
    return effective_sample_size(log_weights) / log_weights.size if log_weights.size else 0.0


def ess_fraction_of_weights(weights: FloatArray) -> float:
    """Kish's ESS of non-negative weights as a fraction of all rows (a zero weight is a row without mass)."""
    positive = weights[weights > 0.0]
    return effective_sample_size(np.log(positive)) / weights.size if weights.size else 0.0


def overlap_diagnostics(log_weights: FloatArray, near_zero_weight: float = 1e-10) -> OverlapDiagnostics:
    """ESS, tail shape (PSIS k, Hill), concentration, near-zero and support mass of raw log weights."""
    n = log_weights.size
    peak = float(log_weights.max())
    scaled = np.exp(log_weights - peak)
    total = float(scaled.sum())
    ess = effective_sample_size(log_weights)
    alpha, k = hill_tail_index(log_weights)
    psis_k, psis_tail = psis_shape(log_weights)
    top_count = max(1, math.ceil(0.05 * n))
    top = float(np.partition(scaled, n - top_count)[n - top_count :].sum()) if n else 0.0
    mean_scaled = total / n
    log_mass = peak + math.log(mean_scaled)
    relative_se = float(scaled.std(ddof=1)) / mean_scaled / math.sqrt(n) if n > 1 else math.inf
    mass = math.exp(log_mass) if log_mass < MAX_LOG else math.inf
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
