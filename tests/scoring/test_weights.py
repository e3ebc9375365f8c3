from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from returns.result import Failure, Success

from cje_fp.errors._log_prob import BaseFailed, TargetFailed, Timeout, Unauthorized
from cje_fp.scoring._weights import (
    effective_sample_size,
    log_normalized_weights,
    log_sum_exp,
    log_weight,
    mean_one_weights,
    normalized_weights,
)

finite_logs = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)


@pytest.mark.parametrize("shift", [-1000.0, -745.0, 0.0, 709.0, 1000.0, 5000.0])
def test_extreme_log_weights_neither_overflow_nor_underflow(shift: float) -> None:
    log_weights = shift + np.log(np.array([1.0, 2.0, 5.0]))
    np.testing.assert_allclose(normalized_weights(log_weights), [0.125, 0.25, 0.625])
    np.testing.assert_allclose(mean_one_weights(log_weights), [0.375, 0.75, 1.875])
    assert math.isfinite(log_sum_exp(log_weights))
    assert effective_sample_size(log_weights) == pytest.approx(64 / 30)


def test_a_huge_spread_keeps_the_dominant_weight() -> None:
    weights = normalized_weights(np.array([-1000.0, 1000.0]))
    assert weights[1] == 1.0 and weights[0] == 0.0  # exp(-2000) really is below the smallest double
    assert effective_sample_size(np.array([-1000.0, 1000.0])) == pytest.approx(1.0)


@given(st.lists(finite_logs, min_size=1, max_size=50), finite_logs)
def test_normalization_is_shift_invariant(values: list[float], shift: float) -> None:
    log_weights = np.array(values)
    np.testing.assert_allclose(
        normalized_weights(log_weights), normalized_weights(log_weights + shift), atol=1e-9
    )
    total = normalized_weights(log_weights).sum()
    assert total == pytest.approx(1.0)
    ess = effective_sample_size(log_weights)
    assert 1.0 - 1e-9 <= ess <= len(values) + 1e-9


@given(st.lists(finite_logs, min_size=1, max_size=50))
def test_log_normalized_weights_sum_to_one_in_log_space(values: list[float]) -> None:
    assert log_sum_exp(log_normalized_weights(np.array(values))) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("bad", [[math.nan], [math.inf], [0.0, -math.inf]])
def test_non_finite_log_weights_are_refused(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="finite"):
        normalized_weights(np.array(bad))


def test_empty_input() -> None:
    assert log_sum_exp([]) == -math.inf
    assert effective_sample_size([]) == 0.0
    assert normalized_weights([]).size == 0


def test_log_weight_subtracts_or_says_which_side_failed() -> None:
    assert log_weight(Success(-700.0), Success(700.0)) == Success(1400.0)
    assert log_weight(Failure(Timeout()), Failure(Unauthorized())) == Failure(BaseFailed(error=Timeout()))
    assert log_weight(Success(-1.0), Failure(Unauthorized())) == Failure(TargetFailed(error=Unauthorized()))
