"""The last line of defence: an estimate or comparison with an inf or NaN is a ``NonFiniteEstimate``.

Every number returned is finite: the value, SE, degrees of freedom, interval
and final ESS are checked before a ``Success`` leaves the library.

>>> not_finite([("value", 1.0), ("se", float("nan"))])
('se', 'not a number')
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from returns.result import Failure, Result, Success

from cje_fp.estimation._errors import EstimationError, NonFiniteEstimate
from cje_fp.estimation._results import Comparison, Estimate


def not_finite(numbers: Sequence[tuple[str, float]]) -> tuple[str, str] | None:
    """The first (name, description) of a number that is inf or NaN."""
    for name, number in numbers:
        if not math.isfinite(number):
            return name, "not a number" if math.isnan(number) else f"{number} (overflow)"
    return None


def finite_estimate(estimate: Estimate) -> Result[Estimate, EstimationError]:
    """The estimate if every number in it is finite, else ``NonFiniteEstimate``."""
    bad = not_finite(
        [
            ("value", estimate.value),
            ("se", estimate.se),
            ("df", estimate.df),
            ("ci", estimate.ci[0]),
            ("ci", estimate.ci[1]),
            ("se_sampling", estimate.se_sampling),
            ("se_oracle", 0.0 if estimate.se_oracle is None else estimate.se_oracle),
            ("final_ess_fraction", estimate.diagnostics.final_ess_fraction),
        ]
    )
    if bad is None:
        return Success(estimate)
    quantity, detail = bad
    return Failure(
        NonFiniteEstimate(target=estimate.target, estimator=estimate.estimator, quantity=quantity, detail=detail)
    )


def finite_comparison(comparison: Comparison) -> Result[Comparison, EstimationError]:
    """The comparison if every number in it is finite, else ``NonFiniteEstimate``."""
    bad = not_finite(
        [
            ("difference", comparison.difference),
            ("se", comparison.se),
            ("df", comparison.df),
            ("ci", comparison.ci[0]),
            ("ci", comparison.ci[1]),
            ("target_value", comparison.target_value),
            ("baseline_value", comparison.baseline_value),
        ]
    )
    if bad is None:
        return Success(comparison)
    quantity, detail = bad
    return Failure(
        NonFiniteEstimate(target=comparison.target, estimator=comparison.estimator, quantity=quantity, detail=detail)
    )
