from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import given, strategies as st
from returns.result import Failure, Success

from cje_fp.errors._log_prob import InvalidInput, InvalidLogProb, Timeout
from cje_fp.policy._protocol import AsyncFunctionPolicy, FunctionPolicy, LogProbResult
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
