"""The records of one scored sample: the ``Sample`` in, the ``SampleResult`` out.

>>> as_sample(("s1", "What is 2+2?", "4"))
Sample(sample_id='s1', context='What is 2+2?', response='4')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, TypeAlias, assert_never, final

import attrs
from returns.result import Result, Success

from cje_fp.errors import WeightError
from cje_fp.policy import LogProbResult


@final
@attrs.frozen(kw_only=True)
class Sample:
    """One logged (context, response) pair to score, with its id."""

    sample_id: str
    context: str
    response: str


SampleLike: TypeAlias = Sample | tuple[str, str, str]
"""A ``Sample`` or a ``(sample_id, context, response)`` tuple."""


def as_sample(sample: SampleLike) -> Sample:
    """Accept either form of a sample."""
    match sample:
        case Sample():
            return sample
        case (sample_id, context, response):
            return Sample(sample_id=sample_id, context=context, response=response)
        case _:
            assert_never(sample)


Cell: TypeAlias = tuple[LogProbResult, int]
"""A policy call's result and the retries it took."""


@final
@attrs.frozen(kw_only=True)
class CellOutcome:
    """What one policy call on one sample gave, reported as it completes."""

    sample_index: int
    sample_id: str
    policy: str
    result: LogProbResult
    retries: int


@final
@attrs.frozen(kw_only=True)
class ScoredSample:
    """A sample's log prob under every policy, before weights."""

    sample_id: str
    log_probs: Mapping[str, LogProbResult]
    retries: Mapping[str, int]


SampleStatus: TypeAlias = Literal["complete", "partial", "failed"]


@final
@attrs.frozen(kw_only=True)
class SampleResult:
    """Every policy's log prob and every target's log weight for one sample."""

    sample_id: str
    log_probs: Mapping[str, LogProbResult]
    log_weights: Mapping[str, Result[float, WeightError]]
    retries: Mapping[str, int]

    @property
    def status(self) -> SampleStatus:
        """``complete``: every cell succeeded; ``failed``: no weight exists; else ``partial``."""
        if all(isinstance(result, Success) for result in self.log_probs.values()):
            return "complete"
        if not any(isinstance(weight, Success) for weight in self.log_weights.values()):
            return "failed"
        return "partial"
