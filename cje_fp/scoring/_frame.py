"""A ``BatchResult`` as a pandas DataFrame: one row per (sample, policy) cell.

Needs the ``pandas`` extra. A failed cell has ``<NA>`` for its log prob (never a
number) and its error kind in ``error``; a target's ``log_weight`` is ``<NA>``
with ``weight_error`` (``"base_failed:timeout"``, ...) when no weight exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from returns.result import Failure, Result, Success

from cje_fp._extras import require_extra
from cje_fp.errors import LogProbError, WeightError, sealed, weight_error_reason
from cje_fp.scoring._batch import BatchResult

if TYPE_CHECKING:
    import pandas as pd

_DTYPES = {
    "sample_id": "string", "sample_status": "string", "policy": "string", "role": "string",
    "log_prob": "Float64", "error": "string", "retries": "Int64", "log_weight": "Float64", "weight_error": "string",
}  # fmt: skip


def _log_prob(result: Result[float, LogProbError]) -> tuple[float | None, str | None]:
    match sealed(result):
        case Success(value):
            return value, None
        case Failure(error):
            return None, error.kind


def _weight(result: Result[float, WeightError]) -> tuple[float | None, str | None]:
    match sealed(result):
        case Success(value):
            return value, None
        case Failure(error):
            return None, weight_error_reason(error)


def batch_frame(batch: BatchResult) -> pd.DataFrame:
    """Columns ``sample_id``, ``sample_status``, ``policy``, ``role`` (base/target), ``log_prob``,
    ``error``, ``retries``, ``log_weight``, ``weight_error``."""
    require_extra("pandas", extra="pandas", purpose="BatchResult.to_frame()")
    import pandas as pd

    records: list[tuple[object, ...]] = []
    for sample in batch.results:
        for policy in batch.policy_names:
            value, error = _log_prob(sample.log_probs[policy]) if policy in sample.log_probs else (None, "not_scored")
            weight, weight_error = _weight(sample.log_weights[policy]) if policy in sample.log_weights else (None, None)
            role = "base" if policy == batch.base_policy_name else "target"
            retries = sample.retries.get(policy, 0)
            records.append((sample.sample_id, sample.status, policy, role, value, error, retries, weight, weight_error))
    return pd.DataFrame(records, columns=list(_DTYPES)).astype(_DTYPES)
