"""Score boundary pairs on a real server and sort each cell: exact, typed failure, or wrong.

A cell is *exact* when the policy's value is within ``TOLERANCE`` of the truth
that llama-cpp-python's Python API computes, *failed* when the policy returned
a typed error, and *wrong* otherwise (a number where the truth is another
number, or where there is no token boundary to score after).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Final, Literal, TypeAlias

import attrs
from returns.result import Failure, Success

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.errors import sealed
from tests.real_llama import GroundTruth

TOLERANCE: Final = 1e-4
Verdict: TypeAlias = Literal["exact", "failed", "wrong"]


@attrs.frozen(kw_only=True)
class Cell:
    """One (context, response) scored once, beside its truth."""

    context: str
    response: str
    verdict: Verdict
    value: float | None
    truth: float | None
    error: str | None


@attrs.frozen(kw_only=True)
class Tally:
    """How many cells of a run were exact, failed typed, or silently wrong."""

    exact: int
    failed: int
    wrong: int

    @staticmethod
    def of(cells: Sequence[Cell]) -> Tally:
        """Count the verdicts."""
        verdicts = [cell.verdict for cell in cells]
        return Tally(exact=verdicts.count("exact"), failed=verdicts.count("failed"), wrong=verdicts.count("wrong"))


def verdict(value: float | None, truth: float | None) -> Verdict:
    """Exact, failed or wrong: a value beside the truth (``None``: no value, or no truth)."""
    if value is None:
        return "failed"
    if truth is not None and abs(value - truth) <= TOLERANCE:
        return "exact"
    return "wrong"


async def _score_all(policy: OpenAICompatiblePolicy, pairs: Sequence[tuple[str, str]]) -> list[Cell]:
    results = await asyncio.gather(*(policy.compute_log_prob_async(c, r) for c, r in pairs))
    await policy.aclose()
    cells = []
    for (context, response), result in zip(pairs, results, strict=True):
        value: float | None = None
        error: str | None = None
        match sealed(result):
            case Success(number):
                value = number
            case Failure(problem):
                error = problem.describe()
        cells.append(Cell(context=context, response=response, verdict="failed", value=value, truth=None, error=error))
    return cells


def score_cells(
    policy: OpenAICompatiblePolicy, truth: GroundTruth, pairs: Sequence[tuple[str, str]]
) -> list[Cell]:
    """Score every pair with ``policy`` (concurrently) and judge each against the truth."""
    scored = asyncio.run(_score_all(policy, pairs))
    judged = []
    for cell in scored:
        rendered = policy.render(cell.context, cell.response)
        expected: float | None = None
        match sealed(rendered):
            case Success(prompt):
                expected = truth.truth(prompt.context, prompt.scored).log_prob
            case Failure(_):
                pass
        judged.append(attrs.evolve(cell, truth=expected, verdict=verdict(cell.value, expected)))
    return judged


def describe_wrong(cells: Sequence[Cell]) -> str:
    """The wrong cells, one per line, for an assertion message."""
    return "\n".join(
        f"{cell.context[-20:]!r} + {cell.response[:20]!r}: got {cell.value}, truth {cell.truth}"
        for cell in cells
        if cell.verdict == "wrong"
    )
