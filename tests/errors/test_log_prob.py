from __future__ import annotations

import math
import typing
from typing import assert_never

import attrs
import pytest

from cje_fp.errors import _log_prob as errors
from cje_fp.errors._log_prob import (
    LOG_PROB_ERROR_TYPES,
    BaseFailed,
    InvalidLogProb,
    LogProbError,
    RateLimited,
    RetriesExhausted,
    Timeout,
    excerpt,
    root_cause,
    weight_error_reason,
)

TRANSIENT_KINDS = {"rate_limited", "timeout", "connection_failed", "server_error"}


def test_kinds_are_unique_and_stable() -> None:
    kinds = [error_type.kind for error_type in LOG_PROB_ERROR_TYPES]
    assert len(set(kinds)) == len(kinds) == 15


def test_only_network_blips_are_transient() -> None:
    transient = {error_type.kind for error_type in LOG_PROB_ERROR_TYPES if error_type.transient}
    assert transient == TRANSIENT_KINDS


def test_union_and_tuple_list_the_same_classes() -> None:
    assert set(typing.get_args(LogProbError)) == set(LOG_PROB_ERROR_TYPES)


def test_errors_are_frozen() -> None:
    error = Timeout(seconds=1.0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        error.seconds = 2.0  # type: ignore[misc]  # proving the runtime refuses it


@pytest.mark.parametrize(
    ("value", "reason"),
    [(math.nan, "NaN"), (math.inf, "infinite"), (-math.inf, "infinite"), (0.1, "positive")],
)
def test_invalid_log_prob_says_why(value: float, reason: str) -> None:
    assert InvalidLogProb(value=value).reason == reason


def test_root_cause_unwraps_nested_exhaustion() -> None:
    nested = RetriesExhausted(attempts=2, last=RetriesExhausted(attempts=3, last=RateLimited()))
    assert root_cause(nested) == RateLimited()


def test_describe_names_kind_and_fields() -> None:
    assert Timeout(seconds=1.5).describe() == "timeout(seconds=1.5, request_hash='')"


def test_excerpt_caps_length() -> None:
    assert len(excerpt("y" * 1000)) == errors.EXCERPT_LIMIT
    assert excerpt("short") == "short"


def test_weight_reason_combines_kinds() -> None:
    assert weight_error_reason(BaseFailed(error=Timeout())) == "base_failed:timeout"


def _label(error: LogProbError) -> str:
    # Exhaustive over the algebra: mypy rejects this function if a class is missing.
    match error:
        case errors.InvalidInput():
            return "input"
        case errors.RateLimited() | errors.Timeout() | errors.ConnectionFailed() | errors.ServerError():
            return "network"
        case errors.Unauthorized() | errors.ModelNotFound() | errors.BadRequest():
            return "config"
        case errors.EndpointsDown():
            return "deployment"
        case errors.TokenLimitExceeded() | errors.TokenBoundaryError():
            return "tokens"
        case errors.MalformedResponse() | errors.InvalidLogProb():
            return "output"
        case errors.RetriesExhausted() | errors.PolicyCrashed():
            return "other"
        case _:
            assert_never(error)


def test_match_over_the_algebra_is_exhaustive() -> None:
    assert _label(Timeout()) == "network"
