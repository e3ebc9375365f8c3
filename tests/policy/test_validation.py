from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import attrs
import pytest
from hypothesis import given, strategies as st
from returns.result import Failure, Success

from cje_fp.errors._log_prob import InvalidInput, InvalidLogProb, Timeout
from cje_fp.policy._protocol import AsyncFunctionPolicy, BatchAsyncPolicy, FunctionPolicy, LogProbResult
from cje_fp.policy._retry import retrying
from cje_fp.policy._retry_counts import count_chunk_retries, counting_retries
from cje_fp.policy._validation import check_log_prob, validated
from tests.conftest import error_of

calls: list[tuple[str, str]] = []


def _returning(value: LogProbResult) -> FunctionPolicy:
    def call(context: str, response: str) -> LogProbResult:
        calls.append((context, response))
        return value

    return FunctionPolicy(name="p", call=call)


@pytest.mark.parametrize(
    ("context", "response", "field"),
    [("", "a", "context"), ("   \n", "a", "context"), ("q", "", "response"), ("q", "\t", "response")],
)
def test_empty_inputs_fail_before_the_call(context: str, response: str, field: str) -> None:
    calls.clear()
    result = validated(_returning(Success(-1.0))).compute_log_prob(context, response)
    error = error_of(result)
    assert isinstance(error, InvalidInput) and error.field == field
    assert calls == []


def test_non_str_input_is_invalid() -> None:
    result = validated(_returning(Success(-1.0))).compute_log_prob(3, "a")  # type: ignore[arg-type]  # what an untyped caller may do
    assert error_of(result) == InvalidInput(field="context", reason="expected str, got int")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e-12, 3.0])
def test_impossible_outputs_fail(value: float) -> None:
    error = error_of(validated(_returning(Success(value))).compute_log_prob("q", "a"))
    assert isinstance(error, InvalidLogProb)
    assert error.value == value or (math.isnan(error.value) and math.isnan(value))


def test_zero_is_a_valid_log_prob() -> None:
    assert validated(_returning(Success(0.0))).compute_log_prob("q", "a") == Success(0.0)


def test_failures_pass_through_unchanged() -> None:
    assert validated(_returning(Failure(Timeout()))).compute_log_prob("q", "a") == Failure(Timeout())


def test_async_twin_validates_the_same_way() -> None:
    async def call(context: str, response: str) -> LogProbResult:
        return Success(0.5)

    policy = validated(AsyncFunctionPolicy(name="p", call_async=call))
    assert isinstance(error_of(asyncio.run(policy.compute_log_prob_async("", "a"))), InvalidInput)
    assert isinstance(error_of(asyncio.run(policy.compute_log_prob_async("q", "a"))), InvalidLogProb)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_log_prob_accepts_exactly_finite_non_positive(value: float) -> None:
    accepted = isinstance(check_log_prob(value), Success)
    assert accepted == (math.isfinite(value) and value <= 0.0)


# --- many cells per call -------------------------------------------------------------------


@attrs.define
class _Chunked:
    """Answers each response's scripted values in turn (a float, or "timeout"), one or many per call."""

    scripts: dict[str, list[float | str]]
    calls: dict[str, int] = attrs.Factory(dict)
    sizes: list[int] = attrs.Factory(list)

    @property
    def name(self) -> str:
        return "p"

    def _one(self, response: str) -> LogProbResult:
        count = self.calls[response] = self.calls.get(response, 0) + 1
        script = self.scripts[response]
        step = script[min(count, len(script)) - 1]
        return Failure(Timeout()) if step == "timeout" else Success(float(step))

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        return self._one(response)

    async def compute_log_probs_async(self, pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        self.sizes.append(len(pairs))
        return [self._one(response) for _, response in pairs]


_SCRIPTS: dict[str, list[float | str]] = {
    "a": [-1.0],
    " ": [-1.0],  # an invalid input: never sent
    "b": ["timeout", "timeout", -2.0],
    "c": [0.5],  # an invalid output
    "": [-1.0],  # invalid
    "d": ["timeout", -3.0],
}


def test_a_chunk_is_validated_cell_by_cell_and_retries_land_on_their_own_cells() -> None:
    responses = list(_SCRIPTS)

    async def chunked() -> list[tuple[LogProbResult, int]]:
        policy = validated(retrying(_Chunked(scripts=_SCRIPTS), max_attempts=4, sleep=lambda _: None))
        assert isinstance(policy, BatchAsyncPolicy)
        retries = count_chunk_retries(len(responses))
        results = await policy.compute_log_probs_async([("q", response) for response in responses])
        return list(zip(results, retries, strict=True))

    async def one_by_one() -> list[tuple[LogProbResult, int]]:
        alone = AsyncFunctionPolicy(name="p", call_async=_Chunked(scripts=_SCRIPTS).compute_log_prob_async)
        policy = validated(retrying(alone, max_attempts=4, sleep=lambda _: None))
        outcomes = []
        for response in responses:
            with counting_retries() as retries:
                outcomes.append((await policy.compute_log_prob_async("q", response), retries[0]))
        return outcomes

    got, expected = asyncio.run(chunked()), asyncio.run(one_by_one())
    assert got == expected
    assert [retries for _, retries in got] == [0, 0, 2, 0, 0, 1]
    assert isinstance(error_of(got[3][0]), InvalidLogProb) and isinstance(error_of(got[1][0]), InvalidInput)
