"""Estimating each target's value from a ``Dataset``: calibration, estimators, inference,
diagnostics and typed refusals.

The estimators are a registry (``cje_fp.estimation.estimators``: one module each, names in
``ESTIMATORS``); every result record (``Estimate``, ``Comparison``, ``EstimateTable``, each
``EstimationError``) is data, with ``to_dict()`` and ``from_dict()``.
"""

from ._audits import (
    BoundaryAudit as BoundaryAudit,
)
from ._audits import (
    BoundaryThresholds as BoundaryThresholds,
)
from ._audits import (
    CalibrationDoesNotTransport as CalibrationDoesNotTransport,
)
from ._audits import (
    JudgeOutOfRange as JudgeOutOfRange,
)
from ._audits import (
    TransportAudit as TransportAudit,
)
from ._audits import (
    TransportThresholds as TransportThresholds,
)
from ._calibration import (
    CalibrationConfig as CalibrationConfig,
)
from ._calibration import (
    calibrate as calibrate,
)
from ._compare import (
    BASE as BASE,
)
from ._compare import (
    compare as compare,
)
from ._config import EstimationConfig as EstimationConfig
from ._errors import (
    REFUSALS as REFUSALS,
)
from ._errors import (
    EstimationError as EstimationError,
)
from ._errors import (
    InformativeMissingness as InformativeMissingness,
)
from ._errors import (
    InsufficientOverlap as InsufficientOverlap,
)
from ._errors import (
    InvalidOption as InvalidOption,
)
from ._errors import (
    MissingJudgeScores as MissingJudgeScores,
)
from ._errors import (
    NonFiniteEstimate as NonFiniteEstimate,
)
from ._errors import (
    TooFewClusters as TooFewClusters,
)
from ._errors import (
    TooFewOracleLabels as TooFewOracleLabels,
)
from ._errors import (
    TooFewRows as TooFewRows,
)
from ._errors import (
    UnknownPolicy as UnknownPolicy,
)
from ._errors import (
    WeightOverflow as WeightOverflow,
)
from ._errors import (
    WeightUnderflow as WeightUnderflow,
)
from ._errors import (
    error_from_dict as error_from_dict,
)
from ._estimate import (
    estimate as estimate,
)
from ._estimate import (
    estimate_all as estimate_all,
)
from ._fresh_api import (
    CalibrationCovariate as CalibrationCovariate,
)
from ._fresh_api import (
    FreshData as FreshData,
)
from ._fresh_api import (
    FreshError as FreshError,
)
from ._fresh_api import (
    FreshEstimate as FreshEstimate,
)
from ._fresh_api import (
    NoFreshDraws as NoFreshDraws,
)
from ._fresh_api import (
    estimate_fresh as estimate_fresh,
)
from ._fresh_api import (
    estimate_fresh_all as estimate_fresh_all,
)
from ._fresh_compare import (
    FreshComparison as FreshComparison,
)
from ._fresh_compare import (
    FreshComparisons as FreshComparisons,
)
from ._fresh_compare import (
    compare_fresh as compare_fresh,
)
from ._fresh_run import (
    FRESH_ESTIMATORS as FRESH_ESTIMATORS,
)
from ._fresh_run import (
    FreshEstimatorName as FreshEstimatorName,
)
from ._fresh_run import (
    FreshOptions as FreshOptions,
)
from ._records import (
    SCHEMA_VERSION as SCHEMA_VERSION,
)
from ._records import (
    InvalidRecord as InvalidRecord,
)
from ._records import (
    JsonObject as JsonObject,
)
from ._records import (
    JsonValue as JsonValue,
)
from ._records import (
    to_data as to_data,
)
from ._records import (
    to_object as to_object,
)
from ._results import (
    CalibrationSummary as CalibrationSummary,
)
from ._results import (
    Comparison as Comparison,
)
from ._results import (
    Diagnostics as Diagnostics,
)
from ._results import (
    Estimate as Estimate,
)
from ._results import (
    EstimateTable as EstimateTable,
)
from ._results import (
    RewardSource as RewardSource,
)
from ._steps import estimated as estimated
from .estimators import (
    ESTIMATORS as ESTIMATORS,
)
from .estimators import (
    EstimatorName as EstimatorName,
)
from .estimators import (
    ExtraInputs as ExtraInputs,
)

__all__ = [
    "BASE",
    "ESTIMATORS",
    "FRESH_ESTIMATORS",
    "REFUSALS",
    "SCHEMA_VERSION",
    "BoundaryAudit",
    "BoundaryThresholds",
    "CalibrationConfig",
    "CalibrationCovariate",
    "CalibrationDoesNotTransport",
    "CalibrationSummary",
    "Comparison",
    "Diagnostics",
    "Estimate",
    "EstimateTable",
    "EstimationConfig",
    "EstimationError",
    "EstimatorName",
    "ExtraInputs",
    "FreshComparison",
    "FreshComparisons",
    "FreshData",
    "FreshError",
    "FreshEstimate",
    "FreshEstimatorName",
    "FreshOptions",
    "InformativeMissingness",
    "InsufficientOverlap",
    "InvalidOption",
    "InvalidRecord",
    "JsonObject",
    "JsonValue",
    "JudgeOutOfRange",
    "MissingJudgeScores",
    "NoFreshDraws",
    "NonFiniteEstimate",
    "RewardSource",
    "TooFewClusters",
    "TooFewOracleLabels",
    "TooFewRows",
    "TransportAudit",
    "TransportThresholds",
    "UnknownPolicy",
    "WeightOverflow",
    "WeightUnderflow",
    "calibrate",
    "compare",
    "compare_fresh",
    "error_from_dict",
    "estimate",
    "estimate_all",
    "estimate_fresh",
    "estimate_fresh_all",
    "estimated",
    "to_data",
    "to_object",
]
