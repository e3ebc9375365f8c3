"""Estimating each target's value from a ``Dataset``: calibration, estimators, inference,
diagnostics and typed refusals.

The estimators are a registry (``cje_fp.estimation.estimators``: one module each, names in
``ESTIMATORS``); every result record (``Estimate``, ``Comparison``, ``EstimateTable``, each
``EstimationError``) is data, with ``to_dict()`` and ``from_dict()``.
"""

from ._attribution import (
    VarianceAttribution as VarianceAttribution,
    variance_attribution as variance_attribution,
)
from ._audits import (
    BoundaryAudit as BoundaryAudit,
    BoundaryThresholds as BoundaryThresholds,
    CalibrationDoesNotTransport as CalibrationDoesNotTransport,
    JudgeOutOfRange as JudgeOutOfRange,
    NoFreshDraws as NoFreshDraws,
    TransportAudit as TransportAudit,
    TransportThresholds as TransportThresholds,
)
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
    LabelsNotRandom as LabelsNotRandom,
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
from ._fresh_api import (
    CalibrationCovariate as CalibrationCovariate,
    DrDiagnostics as DrDiagnostics,
    FreshData as FreshData,
    FreshDiagnostics as FreshDiagnostics,
    FreshInputs as FreshInputs,
)
from ._fresh_run import FreshOptions as FreshOptions
from ._holm import compare_all as compare_all
from ._label_design import (
    LABEL_DESIGNS as LABEL_DESIGNS,
    LabelDependence as LabelDependence,
    LabelDesign as LabelDesign,
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
    "LABEL_DESIGNS",
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
    "DrDiagnostics",
    "Estimate",
    "EstimateTable",
    "EstimationConfig",
    "EstimationError",
    "EstimatorName",
    "ExtraInputs",
    "FreshData",
    "FreshDiagnostics",
    "FreshInputs",
    "FreshOptions",
    "InformativeMissingness",
    "InsufficientOverlap",
    "InvalidOption",
    "InvalidRecord",
    "JsonObject",
    "JsonValue",
    "JudgeOutOfRange",
    "LabelDependence",
    "LabelDesign",
    "LabelsNotRandom",
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
    "VarianceAttribution",
    "WeightOverflow",
    "WeightUnderflow",
    "calibrate",
    "compare",
    "compare_all",
    "error_from_dict",
    "estimate",
    "estimate_all",
    "estimated",
    "to_data",
    "to_object",
    "variance_attribution",
]
