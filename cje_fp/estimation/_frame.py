"""Estimates as a pandas DataFrame: one row per (policy, estimator), refusals without numbers.

Needs the ``pandas`` extra. A refused pair has ``<NA>`` value, SE and CI (never
a number), ``status == "refused"``, and its error ``kind`` and ``reason``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from returns.result import Failure, Success

from cje_fp._extras import require_extra
from cje_fp.errors import sealed
from cje_fp.estimation._errors import EstimationError, InsufficientOverlap
from cje_fp.estimation._results import Estimate, EstimateResult

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = (
    "policy", "estimator", "status", "value", "se", "ci_low", "ci_high", "level", "n_used", "n_excluded",
    "ess_fraction", "gate", "flagged", "kind", "reason",
)  # fmt: skip


def _estimate_row(estimate: Estimate) -> dict[str, object]:
    return {
        "status": "ok",
        "value": estimate.value,
        "se": estimate.se,
        "ci_low": estimate.ci[0],
        "ci_high": estimate.ci[1],
        "level": estimate.level,
        "n_used": estimate.n_used,
        "n_excluded": estimate.n_excluded,
        "ess_fraction": estimate.diagnostics.overlap.ess_fraction,
        "gate": estimate.diagnostics.status.level,
        "flagged": estimate.flagged,
        "kind": None,
        "reason": None,
    }


def _refusal_row(error: EstimationError) -> dict[str, object]:
    return {
        "status": "refused",
        "ess_fraction": error.diagnostics.ess_fraction if isinstance(error, InsufficientOverlap) else None,
        "gate": "refuse",
        "flagged": False,
        "kind": error.kind,
        "reason": error.describe(),
    }


def estimate_rows(results: Iterable[tuple[str, str, EstimateResult]]) -> list[dict[str, object]]:
    """One dict per (policy, estimator) with the ``COLUMNS`` (missing ones are ``None``)."""
    return [
        {name: None for name in COLUMNS} | {"policy": target, "estimator": estimator} | _fields(result)
        for target, estimator, result in results
    ]


def _fields(result: EstimateResult) -> dict[str, object]:
    match sealed(result):
        case Success(estimate):
            return _estimate_row(estimate)
        case Failure(error):
            return _refusal_row(error)


def estimates_frame(results: Iterable[tuple[str, str, EstimateResult]]) -> pd.DataFrame:
    """The rows of ``estimate_rows`` as a DataFrame with nullable dtypes."""
    require_extra("pandas", extra="pandas", purpose="to_frame()")
    import pandas as pd

    dtypes = {name: "string" for name in COLUMNS} | {
        "value": "Float64", "se": "Float64", "ci_low": "Float64", "ci_high": "Float64", "level": "Float64",
        "n_used": "Int64", "n_excluded": "Int64", "ess_fraction": "Float64", "flagged": "boolean",
    }  # fmt: skip
    return pd.DataFrame(estimate_rows(results), columns=list(COLUMNS)).astype(dtypes)
