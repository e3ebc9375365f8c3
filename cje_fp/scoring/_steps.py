"""The pure steps of scoring, each usable in a ``returns.pipeline.flow``.

The sampler's per-sample logic is literally ``flow(cells, checked_cells,
scored_sample(sample), weighed_against(base))``; the interpreters only call the
policies and feed the cells in. The same steps, and the batch-level ones
(``to_dataset``, ``target_log_weight``), compose into a user's own pipeline.
Policies and columns are injected by plain partial application (a function that
returns the step): it reads as ordinary Python and keeps exact types, where
``RequiresContext`` would make every later step thread a context it never uses.

>>> import math
>>> from returns.pipeline import flow
>>> from returns.result import Success
>>> cells = {"base": (Success(math.log(0.5)), 0), "target": (Success(math.log(0.9)), 1)}
>>> result = flow(cells, checked_cells, scored_sample(Sample(sample_id="s", context="q", response="a")),
...               weighed_against("base"))
>>> result.log_weights["target"]
<Success: 0.5877866649021191>
>>> target_log_weight("target")(result)
<Success: 0.5877866649021191>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Final

from returns.result import Failure, Result, Success

from cje_fp.data import Dataset
from cje_fp.errors import PolicyCrashed, WeightError
from cje_fp.scoring._batch import BatchResult
from cje_fp.scoring._batch_dataset import dataset_from_batch
from cje_fp.scoring._sample import Cell, Sample, SampleResult, ScoredSample
from cje_fp.scoring._weights import log_weight

_NOT_A_RESULT = "the policy returned a Result that is neither Success nor Failure"
_CONTAINERS: Final = (Success, Failure)  # a tuple: ``Success | Failure`` builds a union at each call


def checked_cells(cells: Mapping[str, Cell]) -> Mapping[str, Cell]:
    """Cells whose result is neither ``Success`` nor ``Failure`` become ``PolicyCrashed``.

    Such a value (a bare ``Result(...)``) holds no trustworthy number; it is a
    typed failure of that cell, never a crash of the batch.
    """
    for result, _ in cells.values():
        if not isinstance(result, _CONTAINERS):
            return {name: _checked(cell) for name, cell in cells.items()}
    return cells


def _checked(cell: Cell) -> Cell:
    result, retries = cell
    if isinstance(result, _CONTAINERS):
        return cell
    crashed = PolicyCrashed(exception_type=type(result).__name__, message=_NOT_A_RESULT)
    return Failure(crashed), retries


def scored_sample(sample: Sample) -> Callable[[Mapping[str, Cell]], ScoredSample]:
    """The step that records each policy's result on ``sample``."""

    def record(cells: Mapping[str, Cell]) -> ScoredSample:
        return ScoredSample(
            sample_id=sample.sample_id,
            log_probs={name: result for name, (result, _) in cells.items()},
            retries={name: retries for name, (_, retries) in cells.items()},
        )

    return record


def weighed_against(base_policy_name: str) -> Callable[[ScoredSample], SampleResult]:
    """The step that adds every target's log weight against ``base_policy_name``."""

    def weigh(scored: ScoredSample) -> SampleResult:
        base = scored.log_probs[base_policy_name]
        return SampleResult(
            sample_id=scored.sample_id,
            log_probs=scored.log_probs,
            log_weights={
                name: log_weight(base, result)
                for name, result in scored.log_probs.items()
                if name != base_policy_name
            },
            retries=scored.retries,
        )

    return weigh


def target_log_weight(target: str) -> Callable[[SampleResult], Result[float, WeightError]]:
    """The step that picks one target's log weight out of a ``SampleResult``."""

    def pick(result: SampleResult) -> Result[float, WeightError]:
        return result.log_weights[target]

    return pick


def to_dataset(
    *,
    judge_scores: Sequence[float | None],
    oracle_labels: Sequence[float | None] | None = None,
    prompt_ids: Sequence[str] | None = None,
) -> Callable[[BatchResult], Dataset]:
    """The step from a scored batch to a ``Dataset`` with its judge and oracle columns."""

    def convert(batch: BatchResult) -> Dataset:
        return dataset_from_batch(
            batch, judge_scores=judge_scores, oracle_labels=oracle_labels, prompt_ids=prompt_ids
        )

    return convert
