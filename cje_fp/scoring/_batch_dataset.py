"""From a scored batch to a ``Dataset`` for estimation, failures kept as reasons.

A failed cell becomes a missing value whose reason is the failure's kind, so
an estimate reports, per policy, how many rows each kind of failure excluded.

>>> from returns.result import Failure, Success
>>> from cje_fp.errors._log_prob import Timeout
>>> column = log_prob_column([Success(-1.0), Failure(Timeout()), Success(-2.5)])
>>> column.present.tolist(), column.excluded_by_reason()
([True, False, True], {'timeout': 1})
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from returns.result import Failure, Success

from cje_fp.data import Dataset, MaskedColumn
from cje_fp.errors import sealed
from cje_fp.policy import LogProbResult
from cje_fp.scoring._batch import BatchResult


def log_prob_column(results: Sequence[LogProbResult]) -> MaskedColumn:
    """Log-prob results as a masked column whose missing cells carry the error kind."""
    reasons: list[str] = [""]
    codes = np.zeros(len(results), dtype=np.uint8)
    values = np.full(len(results), math.nan)
    for row, result in enumerate(results):
        match sealed(result):
            case Success(value):
                values[row] = value
            case Failure(error):
                if error.kind not in reasons:
                    reasons.append(error.kind)
                codes[row] = reasons.index(error.kind)
    return MaskedColumn(values=values, codes=codes, reasons=tuple(reasons))


def dataset_from_batch(
    batch: BatchResult,
    *,
    judge_scores: Sequence[float | None],
    oracle_labels: Sequence[float | None] | None = None,
    prompt_ids: Sequence[str] | None = None,
) -> Dataset:
    """A dataset of ``batch``'s log probs plus judge scores (and oracle labels where collected).

    ``prompt_ids`` (default: the sample ids) cluster rows that share a prompt
    for the standard errors. Raises ``ValueError`` if a column's length differs
    from the batch's.
    """
    n = len(batch.results)
    for name, column in (("judge_scores", judge_scores), ("oracle_labels", oracle_labels), ("prompt_ids", prompt_ids)):
        if column is not None and len(column) != n:
            raise ValueError(f"{name} has {len(column)} entries for {n} samples")
    return Dataset.from_arrays(
        prompt_ids=list(prompt_ids) if prompt_ids is not None else [result.sample_id for result in batch.results],
        base_log_prob=log_prob_column([result.log_probs[batch.base_policy_name] for result in batch.results]),
        target_log_probs={
            name: log_prob_column([result.log_probs[name] for result in batch.results]) for name in batch.target_names
        },
        judge_score=judge_scores,
        oracle_label=oracle_labels,
        source="batch",
    )
