"""The error algebra: every way a log-prob call or a weight can fail, and ``sealed``, the
exhaustive view of a ``Result``."""

from ._log_prob import (
    BadRequest as BadRequest,
    BaseFailed as BaseFailed,
    ConnectionFailed as ConnectionFailed,
    HttpDetail as HttpDetail,
    InvalidInput as InvalidInput,
    InvalidLogProb as InvalidLogProb,
    LOG_PROB_ERROR_TYPES as LOG_PROB_ERROR_TYPES,
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
)
from ._settled import (
    settled as settled,
)
from ._sealed import (
    sealed as sealed,
)

__all__ = [
    "settled",
    "BadRequest",
    "BaseFailed",
    "ConnectionFailed",
    "HttpDetail",
    "InvalidInput",
    "InvalidLogProb",
    "LOG_PROB_ERROR_TYPES",
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
    "redact",
    "root_cause",
    "sealed",
    "weight_error_reason",
]
