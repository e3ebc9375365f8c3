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
    from cje_fp.batch_dataset import dataset_from_batch
    from cje_fp.backends.doctor import DoctorReport, doctor
    from cje_fp.backends.openai_compatible import OpenAICompatiblePolicy
    from cje_fp.backends.templates import ChatTemplate
    from cje_fp.backends.tabular import TabularPolicy
    from cje_fp.cache import SuccessCache, cached
    from cje_fp.calibration import CalibrationConfig, calibrate
    from cje_fp.data_errors import DataErrors, RowProblem
    from cje_fp.dataset import Dataset, MaskedColumn
    from cje_fp.diagnostics import GateThresholds, OverlapDiagnostics
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
    from cje_fp.estimation_errors import (
        EstimationError,
        InformativeMissingness,
        InsufficientOverlap,
        InvalidOption,
        MissingJudgeScores,
        NonFiniteEstimate,
        TooFewClusters,
        TooFewOracleLabels,
        TooFewRows,
        UnknownPolicy,
        WeightOverflow,
        WeightUnderflow,
    )
    from cje_fp.estimators.api import BASE, EstimationConfig, compare, estimate, estimate_all
    from cje_fp.estimators.results import (
        Comparison,
        Diagnostics,
        Estimate,
        EstimateTable,
        EstimatorName,
        RewardSource,
    )
    from cje_fp.estimators.simcal import SimcalConfig
    from cje_fp.evaluation import evaluate_estimators
    from cje_fp.io.jsonl import find_problems, load_dataset, write_jsonl
    from cje_fp.legacy import LogProbFailed, log_prob  # type: ignore[deprecated]  # re-exported for old callers
    from cje_fp.policy import AsyncPolicy, DualPolicy, LogProbResult, Policy
    from cje_fp.results import is_failure, is_success, sealed
    from cje_fp.retry import retrying
    from cje_fp.sampling import (
        BatchResult,
        CellOutcome,
        MultiTargetSampler,
        Sample,
        SampleResult,
        WeightColumn,
    )
    from cje_fp.simulation import FaultRates, TargetSpec, WorldConfig, build_world, simulate
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
    "BASE",
    "BadRequest",
    "BaseFailed",
    "BatchResult",
    "CalibrationConfig",
    "CellOutcome",
    "ChatTemplate",
    "Comparison",
    "ConnectionFailed",
    "DataErrors",
    "Dataset",
    "Diagnostics",
    "DoctorReport",
    "DualPolicy",
    "Estimate",
    "EstimateTable",
    "EstimationConfig",
    "EstimationError",
    "EstimatorName",
    "FaultRates",
    "GateThresholds",
    "HttpDetail",
    "InformativeMissingness",
    "InsufficientOverlap",
    "InvalidInput",
    "InvalidLogProb",
    "InvalidOption",
    "LogProbError",
    "LogProbFailed",
    "LogProbResult",
    "MalformedResponse",
    "MaskedColumn",
    "MissingJudgeScores",
    "ModelNotFound",
    "MultiTargetSampler",
    "NonFiniteEstimate",
    "OpenAICompatiblePolicy",
    "OverlapDiagnostics",
    "Policy",
    "PolicyCrashed",
    "RateLimited",
    "RetriesExhausted",
    "RewardSource",
    "RowProblem",
    "Sample",
    "SampleResult",
    "ServerError",
    "SimcalConfig",
    "SuccessCache",
    "TabularPolicy",
    "TargetFailed",
    "TargetSpec",
    "Timeout",
    "TokenBoundaryError",
    "TokenLimitExceeded",
    "TooFewClusters",
    "TooFewOracleLabels",
    "TooFewRows",
    "Unauthorized",
    "UnknownPolicy",
    "WeightColumn",
    "WeightError",
    "WeightOverflow",
    "WeightUnderflow",
    "WorldConfig",
    "build_world",
    "cached",
    "calibrate",
    "compare",
    "dataset_from_batch",
    "doctor",
    "effective_sample_size",
    "estimate",
    "estimate_all",
    "evaluate_estimators",
    "find_problems",
    "is_failure",
    "is_success",
    "load_dataset",
    "log_normalized_weights",
    "log_prob",
    "log_sum_exp",
    "log_weight",
    "mean_one_weights",
    "normalized_weights",
    "retrying",
    "sealed",
    "simulate",
    "validated",
    "write_jsonl",
]

#: The modules that define the public names.
_MODULES: Final = (
    "cje_fp.batch_dataset",
    "cje_fp.backends.doctor",
    "cje_fp.backends.openai_compatible",
    "cje_fp.backends.tabular",
    "cje_fp.backends.templates",
    "cje_fp.cache",
    "cje_fp.calibration",
    "cje_fp.data_errors",
    "cje_fp.dataset",
    "cje_fp.diagnostics",
    "cje_fp.errors",
    "cje_fp.estimation_errors",
    "cje_fp.estimators.api",
    "cje_fp.estimators.results",
    "cje_fp.estimators.simcal",
    "cje_fp.evaluation",
    "cje_fp.io.jsonl",
    "cje_fp.legacy",
    "cje_fp.policy",
    "cje_fp.results",
    "cje_fp.retry",
    "cje_fp.sampling",
    "cje_fp.simulation",
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
