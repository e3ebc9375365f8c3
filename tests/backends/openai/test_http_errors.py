"""The pure mapping from HTTP answers and client exceptions to ``LogProbError``."""

from __future__ import annotations

import hashlib

import pytest

from cje_fp.backends.openai._http_errors import (
    error_for_exception,
    error_for_status,
    parse_retry_after,
    request_hash,
)
from cje_fp.errors._log_prob import (
    BadRequest,
    ConnectionFailed,
    LogProbError,
    ModelNotFound,
    PolicyCrashed,
    RateLimited,
    ServerError,
    Timeout,
    TokenLimitExceeded,
    Unauthorized,
)

VLLM_TOO_LONG = (
    "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens "
    "(4999 in the messages, 1 in the completion)."
)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (429, "", RateLimited),
        (500, "", ServerError),
        (502, "", ServerError),
        (503, "", ServerError),
        (401, "", Unauthorized),
        (403, "", Unauthorized),
        (404, "", ModelNotFound),
        (400, VLLM_TOO_LONG, TokenLimitExceeded),
        (422, '{"detail": "prompt is too long"}', TokenLimitExceeded),
        (400, '{"error": {"code": "context_length_exceeded"}}', TokenLimitExceeded),
        (400, "logprobs must be between 0 and 5", BadRequest),
        (422, "field required", BadRequest),
        (409, "", BadRequest),
    ],
)
def test_status_mapping(status: int, body: str, kind: type[LogProbError]) -> None:
    error = error_for_status(status, body=body, retry_after=None, request_hash="h", model="m")
    assert type(error) is kind
    assert error.transient == (status == 429 or status >= 500)


def test_bodies_are_redacted_and_cut() -> None:
    body = "bad key sk-abcdefghijklmnop and the secret s3cr3t-canary " + "x" * 500
    error = error_for_status(401, body=body, retry_after=None, request_hash="h", model="m", secrets=("s3cr3t-canary",))
    assert isinstance(error, Unauthorized) and error.http is not None
    assert "sk-abc" not in error.http.body_excerpt and "s3cr3t" not in error.http.body_excerpt
    assert len(error.http.body_excerpt) == 200 and error.http.body_excerpt.endswith("…")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("2", 2.0), (" 0.5 ", 0.5), ("-3", 0.0), ("nan", None), ("soon", None), (None, None),
     ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0)],
)
def test_retry_after_in_seconds_or_http_date(header: str | None, seconds: float | None) -> None:
    now = 1445412480.0  # Wed, 21 Oct 2015 07:28:00 GMT
    assert parse_retry_after(header, now=now) == seconds


def test_exceptions() -> None:
    assert error_for_exception(TimeoutError(), seconds=3.0, request_hash="h") == Timeout(seconds=3.0, request_hash="h")
    refused = error_for_exception(ConnectionRefusedError("refused token=abc"), seconds=3.0, request_hash="h")
    assert isinstance(refused, ConnectionFailed) and "abc" not in refused.reason
    assert isinstance(error_for_exception(KeyError("x"), seconds=3.0, request_hash="h"), PolicyCrashed)


def test_request_hash_is_a_sha256_prefix() -> None:
    assert request_hash(b"body") == hashlib.sha256(b"body").hexdigest()[:16]
