"""Estimating each target's value from a ``Dataset``: calibration, estimators, inference,
diagnostics and typed refusals.

The estimators are a registry (``cje_fp.estimation.estimators``: one module each, names in
``ESTIMATORS``); every result record (``Estimate``, ``Comparison``, ``EstimateTable``, each
``EstimationError``) is data, with ``to_dict()`` and ``from_dict()``.
"""

from ._calibration import (
    CalibrationConfig as CalibrationConfig,
    calibrate as calibrate,
)
from ._compare import (
    BASE as BASE,
    compare as compare,
)
from ._config import EstimationConfig as EstimationConfig
from ._errors import (
    REFUSALS as REFUSALS,
    EstimationError as EstimationError,
    InformativeMissingness as InformativeMissingness,
    InsufficientOverlap as InsufficientOverlap,
    InvalidOption as InvalidOption,
    MissingJudgeScores as MissingJudgeScores,
    NonFiniteEstimate as NonFiniteEstimate,
    TooFewClusters as TooFewClusters,
    TooFewOracleLabels as TooFewOracleLabels,
    TooFewRows as TooFewRows,
    UnknownPolicy as UnknownPolicy,
    WeightOverflow as WeightOverflow,
    WeightUnderflow as WeightUnderflow,
    error_from_dict as error_from_dict,
)
from ._estimate import (
    estimate as estimate,
    estimate_all as estimate_all,
)
from ._records import (
    SCHEMA_VERSION as SCHEMA_VERSION,
    InvalidRecord as InvalidRecord,
    JsonObject as JsonObject,
    JsonValue as JsonValue,
    to_data as to_data,
    to_object as to_object,
)
from ._results import (
    CalibrationSummary as CalibrationSummary,
    Comparison as Comparison,
    Diagnostics as Diagnostics,
    Estimate as Estimate,
    EstimateTable as EstimateTable,
    RewardSource as RewardSource,
)
from ._steps import estimated as estimated
from .estimators import (
    ESTIMATORS as ESTIMATORS,
    EstimatorName as EstimatorName,
    ExtraInputs as ExtraInputs,
)

__all__ = [
    "BASE",
    "ESTIMATORS",
    "REFUSALS",
    "SCHEMA_VERSION",
    "CalibrationConfig",
    "CalibrationSummary",
    "Comparison",
    "Diagnostics",
    "Estimate",
    "EstimateTable",
    "EstimationConfig",
    "EstimationError",
    "EstimatorName",
    "ExtraInputs",
    "InformativeMissingness",
    "InsufficientOverlap",
    "InvalidOption",
    "InvalidRecord",
    "JsonObject",
    "JsonValue",
    "MissingJudgeScores",
    "NonFiniteEstimate",
    "RewardSource",
    "TooFewClusters",
    "TooFewOracleLabels",
    "TooFewRows",
    "UnknownPolicy",
    "WeightOverflow",
    "WeightUnderflow",
    "calibrate",
    "compare",
    "error_from_dict",
    "estimate",
    "estimate_all",
    "estimated",
    "to_data",
    "to_object",
]
