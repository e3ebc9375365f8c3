"""The error algebra: every way a log-prob call or a weight can fail, and ``sealed``, the
exhaustive view of a ``Result`` (with its guards ``is_success``/``is_failure``)."""

from ._log_prob import (
    LOG_PROB_ERROR_TYPES as LOG_PROB_ERROR_TYPES,
    BadRequest as BadRequest,
    BaseFailed as BaseFailed,
    ConnectionFailed as ConnectionFailed,
    HttpDetail as HttpDetail,
    InvalidInput as InvalidInput,
    InvalidLogProb as InvalidLogProb,
    LogProbError as LogProbError,
    MalformedResponse as MalformedResponse,
    ModelNotFound as ModelNotFound,
    PolicyCrashed as PolicyCrashed,
    RateLimited as RateLimited,
    RetriesExhausted as RetriesExhausted,
    ServerError as ServerError,
    TargetFailed as TargetFailed,
    Timeout as Timeout,
    TokenBoundaryError as TokenBoundaryError,
    TokenLimitExceeded as TokenLimitExceeded,
    Unauthorized as Unauthorized,
    WeightError as WeightError,
    excerpt as excerpt,
    root_cause as root_cause,
    weight_error_reason as weight_error_reason,
)
from ._redaction import (
    crashed as crashed,
    redact as redact,
    redact_url as redact_url,
)
from ._sealed import (
    is_failure as is_failure,
    is_success as is_success,
    sealed as sealed,
)
from ._settled import (
    settled as settled,
)

__all__ = [
    "LOG_PROB_ERROR_TYPES",
    "BadRequest",
    "BaseFailed",
    "ConnectionFailed",
    "HttpDetail",
    "InvalidInput",
    "InvalidLogProb",
    "LogProbError",
    "MalformedResponse",
    "ModelNotFound",
    "PolicyCrashed",
    "RateLimited",
    "RetriesExhausted",
    "ServerError",
    "TargetFailed",
    "Timeout",
    "TokenBoundaryError",
    "TokenLimitExceeded",
    "Unauthorized",
    "WeightError",
    "crashed",
    "excerpt",
    "is_failure",
    "is_success",
    "redact",
    "redact_url",
    "root_cause",
    "sealed",
    "settled",
    "weight_error_reason",
]
