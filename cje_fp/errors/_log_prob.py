"""The closed algebra of log-prob failures, and the errors of the weight layer.

A policy call either succeeds with a log probability or fails with exactly one
of the classes below. ``LogProbError`` is their union, so a ``match`` over it can
be checked for exhaustiveness by mypy. Every class knows a stable ``kind``
string (for counting) and whether a retry may help (``transient``). Every
case is ``@final``: the algebra is closed.

::

    LogProbError (a policy call failed)          WeightError (no weight exists)
    ├── transient: RateLimited, Timeout,         ├── BaseFailed(error: LogProbError)
    │   ConnectionFailed, ServerError            └── TargetFailed(error: LogProbError)
    ├── permanent: InvalidInput, Unauthorized,
    │   ModelNotFound, EndpointsDown, BadRequest, TokenLimitExceeded, TokenBoundaryError,
    │   MalformedResponse, InvalidLogProb, PolicyCrashed
    └── RetriesExhausted(attempts, last: LogProbError)

>>> from cje_fp.errors._log_prob import RateLimited, InvalidLogProb
>>> RateLimited(retry_after=2.0).transient
True
>>> InvalidLogProb(value=0.5).kind
'invalid_log_prob'
"""

from __future__ import annotations

import math
from typing import ClassVar, Final, TypeAlias, final

import attrs

#: Longest excerpt of a server's body or an exception message that an error keeps.
EXCERPT_LIMIT: Final = 200


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """Shorten ``text`` to at most ``limit`` characters, marking the cut.

    >>> excerpt("x" * 10, limit=4)
    'xxx…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


@final
@attrs.frozen(kw_only=True)
class HttpDetail:
    """What an HTTP failure looked like: status, a redacted body excerpt, the request hash."""

    status: int | None = None
    body_excerpt: str = ""
    request_hash: str = ""


@attrs.frozen(kw_only=True)
class _Base:
    kind: ClassVar[str]
    transient: ClassVar[bool]

    def describe(self) -> str:
        """A one-line human description."""
        fields = ", ".join(
            f"{field.name}={getattr(self, field.name)!r}"
            for field in attrs.fields(type(self))
        )
        return f"{self.kind}({fields})"


@final
@attrs.frozen(kw_only=True)
class InvalidInput(_Base):
    """The context or response cannot be scored (empty, whitespace, not a str)."""

    kind: ClassVar[str] = "invalid_input"
    transient: ClassVar[bool] = False
    field: str
    reason: str


@final
@attrs.frozen(kw_only=True)
class RateLimited(_Base):
    """The server asked us to slow down, optionally saying for how long."""

    kind: ClassVar[str] = "rate_limited"
    transient: ClassVar[bool] = True
    retry_after: float | None = None
    http: HttpDetail | None = None


@final
@attrs.frozen(kw_only=True)
class Timeout(_Base):
    """No answer within the request timeout."""

    kind: ClassVar[str] = "timeout"
    transient: ClassVar[bool] = True
    seconds: float | None = None
    request_hash: str = ""


@final
@attrs.frozen(kw_only=True)
class ConnectionFailed(_Base):
    """The connection could not be made or was dropped."""

    kind: ClassVar[str] = "connection_failed"
    transient: ClassVar[bool] = True
    reason: str = ""
    request_hash: str = ""


@final
@attrs.frozen(kw_only=True)
class EndpointsDown(_Base):
    """Every endpoint of a policy with several was taken out after failing again and again
    (refused, dropped, timed out): nothing was sent."""

    kind: ClassVar[str] = "endpoints_down"
    transient: ClassVar[bool] = False
    policy: str
    endpoints: int
    reason: str = ""


@final
@attrs.frozen(kw_only=True)
class ServerError(_Base):
    """The server answered with a 5xx status."""

    kind: ClassVar[str] = "server_error"
    transient: ClassVar[bool] = True
    status: int
    http: HttpDetail | None = None


@final
@attrs.frozen(kw_only=True)
class Unauthorized(_Base):
    """The credentials were refused (401/403)."""

    kind: ClassVar[str] = "unauthorized"
    transient: ClassVar[bool] = False
    http: HttpDetail | None = None


@final
@attrs.frozen(kw_only=True)
class ModelNotFound(_Base):
    """The server does not serve the requested model (404)."""

    kind: ClassVar[str] = "model_not_found"
    transient: ClassVar[bool] = False
    model: str
    http: HttpDetail | None = None
    path: str = ""
    """The URL path that answered 404 (e.g. ``/v1/completions``)."""

    def describe(self) -> str:
        """One line: the fields, the path tried, and the two usual causes."""
        tried = f"POST {self.path}" if self.path else "the completions request"
        return (
            f"{super().describe()}: {tried} answered 404: the server does not serve model {self.model!r}, "
            "or base_url lacks the API's prefix (requests go to base_url + /completions; most servers "
            "want base_url to end in /v1)"
        )


@final
@attrs.frozen(kw_only=True)
class BadRequest(_Base):
    """The server rejected the request (4xx other than the cases above)."""

    kind: ClassVar[str] = "bad_request"
    transient: ClassVar[bool] = False
    http: HttpDetail | None = None


@final
@attrs.frozen(kw_only=True)
class TokenLimitExceeded(_Base):
    """Context plus response exceed the model's context length."""

    kind: ClassVar[str] = "token_limit_exceeded"
    transient: ClassVar[bool] = False
    http: HttpDetail | None = None


@final
@attrs.frozen(kw_only=True)
class TokenBoundaryError(_Base):
    """The context/response boundary cannot be located exactly in the tokens."""

    kind: ClassVar[str] = "token_boundary"
    transient: ClassVar[bool] = False
    reason: str


@final
@attrs.frozen(kw_only=True)
class MalformedResponse(_Base):
    """The server's answer lacks fields or cannot be parsed."""

    kind: ClassVar[str] = "malformed_response"
    transient: ClassVar[bool] = False
    reason: str
    http: HttpDetail | None = None


@final
@attrs.frozen(kw_only=True)
class InvalidLogProb(_Base):
    """A log probability that cannot be one: NaN, infinite or positive."""

    kind: ClassVar[str] = "invalid_log_prob"
    transient: ClassVar[bool] = False
    value: float

    @property
    def reason(self) -> str:
        """Why ``value`` is not a log probability."""
        if math.isnan(self.value):
            return "NaN"
        if math.isinf(self.value):
            return "infinite"
        return "positive"


@final
@attrs.frozen(kw_only=True)
class RetriesExhausted(_Base):
    """Every allowed attempt failed transiently; ``last`` is the final error."""

    kind: ClassVar[str] = "retries_exhausted"
    transient: ClassVar[bool] = False
    attempts: int
    last: LogProbError


@final
@attrs.frozen(kw_only=True)
class PolicyCrashed(_Base):
    """A backend raised unexpectedly; only the type and a redacted message are kept."""

    kind: ClassVar[str] = "policy_crashed"
    transient: ClassVar[bool] = False
    exception_type: str
    message: str


LogProbError: TypeAlias = (
    InvalidInput
    | RateLimited
    | Timeout
    | ConnectionFailed
    | EndpointsDown
    | ServerError
    | Unauthorized
    | ModelNotFound
    | BadRequest
    | TokenLimitExceeded
    | TokenBoundaryError
    | MalformedResponse
    | InvalidLogProb
    | RetriesExhausted
    | PolicyCrashed
)
"""Every way a log-prob call can fail."""

LOG_PROB_ERROR_TYPES: Final = (
    InvalidInput,
    RateLimited,
    Timeout,
    ConnectionFailed,
    EndpointsDown,
    ServerError,
    Unauthorized,
    ModelNotFound,
    BadRequest,
    TokenLimitExceeded,
    TokenBoundaryError,
    MalformedResponse,
    InvalidLogProb,
    RetriesExhausted,
    PolicyCrashed,
)


def root_cause(error: LogProbError) -> LogProbError:
    """The error behind any ``RetriesExhausted`` wrapping.

    >>> root_cause(RetriesExhausted(attempts=3, last=Timeout(seconds=1.0))).kind
    'timeout'
    """
    while isinstance(error, RetriesExhausted):
        error = error.last
    return error


# Weight layer ---------------------------------------------------------------


@final
@attrs.frozen(kw_only=True)
class BaseFailed(_Base):
    """The base policy's log prob failed, so no weight exists for this sample."""

    kind: ClassVar[str] = "base_failed"
    transient: ClassVar[bool] = False
    error: LogProbError


@final
@attrs.frozen(kw_only=True)
class TargetFailed(_Base):
    """The target policy's log prob failed, so no weight exists for this sample."""

    kind: ClassVar[str] = "target_failed"
    transient: ClassVar[bool] = False
    error: LogProbError


WeightError: TypeAlias = BaseFailed | TargetFailed
"""Why a log importance weight does not exist."""


def weight_error_reason(error: WeightError) -> str:
    """A stable ``"<weight kind>:<log-prob kind>"`` label for exclusion counts.

    >>> weight_error_reason(BaseFailed(error=Timeout()))
    'base_failed:timeout'
    """
    return f"{error.kind}:{error.error.kind}"
