"""cje-fp: causal judge evaluation where a failure is never a number.

Every policy call returns ``Result[float, LogProbError]``; weights stay in log
space; estimates come with honest standard errors or a typed refusal.

The package imports its modules lazily (PEP 562), so that mypy can load the
plugin ``cje_fp.contrib.mypy`` without importing numpy; type checkers see the
plain imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cje_fp.backends.tabular import TabularPolicy
    from cje_fp.cache import SuccessCache, cached
    from cje_fp.errors import (
        BadRequest,
        BaseFailed,
        ConnectionFailed,
        HttpDetail,
        InvalidInput,
        InvalidLogProb,
        LogProbError,
        MalformedResponse,
        ModelNotFound,
        PolicyCrashed,
        RateLimited,
        RetriesExhausted,
        ServerError,
        TargetFailed,
        Timeout,
        TokenBoundaryError,
        TokenLimitExceeded,
        Unauthorized,
        WeightError,
    )
    from cje_fp.legacy import LogProbFailed, log_prob  # type: ignore[deprecated]  # re-exported for old callers
    from cje_fp.policy import AsyncPolicy, DualPolicy, LogProbResult, Policy
    from cje_fp.retry import retrying
    from cje_fp.sampling import (
        BatchResult,
        CellOutcome,
        MultiTargetSampler,
        Sample,
        SampleResult,
        WeightColumn,
    )
    from cje_fp.results import sealed
    from cje_fp.validation import validated
    from cje_fp.weights import (
        effective_sample_size,
        log_normalized_weights,
        log_sum_exp,
        log_weight,
        mean_one_weights,
        normalized_weights,
    )

__all__ = [
    "AsyncPolicy",
    "BadRequest",
    "BaseFailed",
    "BatchResult",
    "CellOutcome",
    "ConnectionFailed",
    "DualPolicy",
    "HttpDetail",
    "InvalidInput",
    "InvalidLogProb",
    "LogProbError",
    "LogProbFailed",
    "LogProbResult",
    "MalformedResponse",
    "ModelNotFound",
    "MultiTargetSampler",
    "Policy",
    "PolicyCrashed",
    "RateLimited",
    "RetriesExhausted",
    "Sample",
    "SampleResult",
    "ServerError",
    "SuccessCache",
    "TabularPolicy",
    "TargetFailed",
    "Timeout",
    "TokenBoundaryError",
    "TokenLimitExceeded",
    "Unauthorized",
    "WeightColumn",
    "WeightError",
    "cached",
    "effective_sample_size",
    "log_normalized_weights",
    "log_prob",
    "log_sum_exp",
    "log_weight",
    "mean_one_weights",
    "normalized_weights",
    "retrying",
    "sealed",
    "validated",
]

#: The modules that define the public names.
_MODULES: Final = (
    "cje_fp.backends.tabular",
    "cje_fp.cache",
    "cje_fp.errors",
    "cje_fp.legacy",
    "cje_fp.policy",
    "cje_fp.retry",
    "cje_fp.sampling",
    "cje_fp.results",
    "cje_fp.validation",
    "cje_fp.weights",
)

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        if name in __all__:
            for module_name in _MODULES:
                module = importlib.import_module(module_name)
                if name in vars(module):
                    globals()[name] = vars(module)[name]
                    return vars(module)[name]
        raise AttributeError(f"module 'cje_fp' has no attribute {name!r}")
