"""Echoed log probs: check that they are usable, and sum a span of them.

Pure. Only the first token's log prob may be null (OpenAI's convention); every
other must be a finite number <= 0, else the cell is ``MalformedResponse`` or
``InvalidLogProb``, never a sum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import cast

from returns.result import Failure, Result, Success

from cje_fp.errors import InvalidLogProb, LogProbError, MalformedResponse


def log_prob_problem(log_probs: Sequence[float | None], end: int) -> LogProbError | None:
    """The first reason the log probs before ``end`` are unusable, if any."""
    values = [value for value in log_probs[1:end] if value is not None]
    if len(values) == max(0, min(end, len(log_probs)) - 1):
        try:
            total = math.fsum(values)
        except (OverflowError, ValueError):  # inf - inf
            total = math.nan
        if math.isfinite(total) and (not values or max(values) <= 0.0):
            return _invalid_first(log_probs[:1])
    for index in range(min(end, len(log_probs))):
        value = log_probs[index]
        if value is None:
            if index > 0:
                return MalformedResponse(reason=f"null log prob at token {index}")
        elif not (math.isfinite(value) and value <= 0.0):
            return InvalidLogProb(value=value)
    return None


def _invalid_first(first: Sequence[float | None]) -> LogProbError | None:
    if not first or first[0] is None or (math.isfinite(first[0]) and first[0] <= 0.0):
        return None
    return InvalidLogProb(value=first[0])


def check_log_probs(log_probs: Sequence[float | None], end: int) -> Result[None, LogProbError]:
    """Every log prob before ``end`` is a number <= 0 (only the first may be null).

    >>> check_log_probs([None, -1.0, 0.5], 3)
    <Failure: InvalidLogProb(value=0.5)>
    >>> check_log_probs([None, None, -1.0], 3)
    <Failure: MalformedResponse(reason='null log prob at token 1', http=None)>
    """
    problem = log_prob_problem(log_probs, end)
    return Success(None) if problem is None else Failure(problem)


def span_sum(log_probs: Sequence[float | None], start: int, end: int) -> float | LogProbError:
    """The sum of the (already checked) log probs in ``[start, end)``."""
    values = [value for value in log_probs[start:end] if value is not None]
    if len(values) != end - start:
        return MalformedResponse(reason=f"null log prob at response token {start}")
    try:
        return math.fsum(values)
    except OverflowError:  # valid log probs whose sum is below the range of a float
        return InvalidLogProb(value=-math.inf)


def response_sum(log_probs: Sequence[float | None], start: int, end: int) -> float | LogProbError:
    """The sum of the log probs in ``[start, end)`` once every one before ``end`` is valid."""
    if start >= 1:
        # The usual case in a few C calls: no null after the first token (``sum``
        # refuses one), all finite (a NaN or an infinity makes the sum one) and
        # <= 0, the first null or valid. Anything else takes the exact checks.
        numbers = cast("Sequence[float]", log_probs[1:end])
        try:
            head_total = sum(numbers)
        except TypeError:  # a null
            head_total = math.nan
        first = log_probs[0]
        if (
            math.isfinite(head_total)
            and (not numbers or max(numbers) <= 0.0)
            and (first is None or (math.isfinite(first) and first <= 0.0))
        ):
            return math.fsum(numbers[start - 1 :])
    problem = log_prob_problem(log_probs, end)
    if problem is not None:
        return problem
    return span_sum(log_probs, start, end)
