"""The error algebra: every way a log-prob call or a weight can fail, and ``sealed``, the
exhaustive view of a ``Result`` (with its guards ``is_success``/``is_failure``)."""

from ._log_prob import (
    LOG_PROB_ERROR_TYPES as LOG_PROB_ERROR_TYPES,
)
from ._log_prob import (
    BadRequest as BadRequest,
)
from ._log_prob import (
    BaseFailed as BaseFailed,
)
from ._log_prob import (
    ConnectionFailed as ConnectionFailed,
)
from ._log_prob import (
    HttpDetail as HttpDetail,
)
from ._log_prob import (
    InvalidInput as InvalidInput,
)
from ._log_prob import (
    InvalidLogProb as InvalidLogProb,
)
from ._log_prob import (
    LogProbError as LogProbError,
)
from ._log_prob import (
    MalformedResponse as MalformedResponse,
)
from ._log_prob import (
    ModelNotFound as ModelNotFound,
)
from ._log_prob import (
    PolicyCrashed as PolicyCrashed,
)
from ._log_prob import (
    RateLimited as RateLimited,
)
from ._log_prob import (
    RetriesExhausted as RetriesExhausted,
)
from ._log_prob import (
    ServerError as ServerError,
)
from ._log_prob import (
    TargetFailed as TargetFailed,
)
from ._log_prob import (
    Timeout as Timeout,
)
from ._log_prob import (
    TokenBoundaryError as TokenBoundaryError,
)
from ._log_prob import (
    TokenLimitExceeded as TokenLimitExceeded,
)
from ._log_prob import (
    Unauthorized as Unauthorized,
)
from ._log_prob import (
    WeightError as WeightError,
)
from ._log_prob import (
    excerpt as excerpt,
)
from ._log_prob import (
    root_cause as root_cause,
)
from ._log_prob import (
    weight_error_reason as weight_error_reason,
)
from ._redaction import (
    crashed as crashed,
)
from ._redaction import (
    redact as redact,
)
from ._sealed import (
    is_failure as is_failure,
)
from ._sealed import (
    is_success as is_success,
)
from ._sealed import (
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
    "root_cause",
    "sealed",
    "settled",
    "weight_error_reason",
]
