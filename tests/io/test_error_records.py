from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, strategies as st
from returns.result import Failure, Success

from cje_fp.errors import _log_prob as errors
from cje_fp.errors._log_prob import HttpDetail, LogProbError
from cje_fp.io._error_records import error_from_record, error_to_record

texts = st.text(max_size=20)
http = st.one_of(st.none(), st.builds(HttpDetail, status=st.one_of(st.none(), st.integers(100, 599)), body_excerpt=texts, request_hash=texts))
leaf_errors: st.SearchStrategy[LogProbError] = st.one_of(
    st.builds(errors.InvalidInput, field=texts, reason=texts),
    st.builds(errors.RateLimited, retry_after=st.one_of(st.none(), st.floats(0, 100)), http=http),
    st.builds(errors.Timeout, seconds=st.one_of(st.none(), st.floats(0, 100)), request_hash=texts),
    st.builds(errors.ConnectionFailed, reason=texts, request_hash=texts),
    st.builds(errors.ServerError, status=st.integers(500, 599), http=http),
    st.builds(errors.Unauthorized, http=http),
    st.builds(errors.ModelNotFound, model=texts, http=http),
    st.builds(errors.BadRequest, http=http),
    st.builds(errors.TokenLimitExceeded, http=http),
    st.builds(errors.TokenBoundaryError, reason=texts),
    st.builds(errors.MalformedResponse, reason=texts, http=http),
    st.builds(errors.InvalidLogProb, value=st.floats(min_value=1e-9, max_value=1e9)),
    st.builds(errors.PolicyCrashed, exception_type=texts, message=texts),
)
any_error = st.one_of(leaf_errors, st.builds(errors.RetriesExhausted, attempts=st.integers(1, 10), last=leaf_errors))


@given(any_error)
def test_every_error_survives_a_json_round_trip(error: LogProbError) -> None:
    record = json.loads(json.dumps(error_to_record(error)))
    assert error_from_record(record) == Success(error)


def test_nan_log_prob_keeps_its_kind() -> None:
    record = error_to_record(errors.InvalidLogProb(value=math.nan))
    match error_from_record(record):
        case Success(errors.InvalidLogProb(value=value)):
            assert math.isnan(value)
        case other:
            raise AssertionError(other)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"kind": "nope"}, "unknown error kind 'nope'"),
        ({}, "unknown error kind None"),
        ({"kind": "server_error"}, "server_error: "),
        ({"kind": "retries_exhausted", "attempts": 2, "last": 5}, "retries_exhausted.last is not a record"),
        ({"kind": "retries_exhausted", "attempts": 2, "last": {"kind": "x"}}, "retries_exhausted.last: unknown error kind 'x'"),
        ({"kind": "bad_request", "http": {"colour": 1}}, "bad_request.http: "),
    ],
)
def test_bad_records_say_why(record: dict[str, object], reason: str) -> None:
    result = error_from_record(record)
    assert isinstance(result, Failure)
    assert str(result.alt(str)).startswith(f"<Failure: {reason}")
