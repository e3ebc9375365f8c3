"""Estimating each target's value from a ``Dataset``: calibration, estimators, inference,
diagnostics and typed refusals."""

from ._api import (
    BASE as BASE,
    EstimationConfig as EstimationConfig,
    compare as compare,
    estimate as estimate,
    estimate_all as estimate_all,
)
from ._attribution import (
    VarianceAttribution as VarianceAttribution,
    variance_attribution as variance_attribution,
)
from ._label_design import (
    LABEL_DESIGNS as LABEL_DESIGNS,
    LabelDependence as LabelDependence,
    LabelDesign as LabelDesign,
)
from ._calibration import (
    CalibrationConfig as CalibrationConfig,
    calibrate as calibrate,
)
from ._errors import (
    EstimationError as EstimationError,
    InformativeMissingness as InformativeMissingness,
    InsufficientOverlap as InsufficientOverlap,
    InvalidOption as InvalidOption,
    LabelsNotRandom as LabelsNotRandom,
    MissingJudgeScores as MissingJudgeScores,
    NonFiniteEstimate as NonFiniteEstimate,
    REFUSALS as REFUSALS,
    TooFewClusters as TooFewClusters,
    TooFewOracleLabels as TooFewOracleLabels,
    TooFewRows as TooFewRows,
    UnknownPolicy as UnknownPolicy,
    WeightOverflow as WeightOverflow,
    WeightUnderflow as WeightUnderflow,
)
from ._steps import (
    estimated as estimated,
)
from ._results import (
    CalibrationSummary as CalibrationSummary,
    Comparison as Comparison,
    Diagnostics as Diagnostics,
    ESTIMATORS as ESTIMATORS,
    Estimate as Estimate,
    EstimateTable as EstimateTable,
    EstimatorName as EstimatorName,
    RewardSource as RewardSource,
)

__all__ = [
    "estimated",
    "BASE",
    "CalibrationConfig",
    "CalibrationSummary",
    "Comparison",
    "Diagnostics",
    "ESTIMATORS",
    "Estimate",
    "EstimateTable",
    "EstimationConfig",
    "EstimationError",
    "EstimatorName",
    "InformativeMissingness",
    "InsufficientOverlap",
    "InvalidOption",
    "LABEL_DESIGNS",
    "LabelDependence",
    "LabelDesign",
    "LabelsNotRandom",
    "MissingJudgeScores",
    "NonFiniteEstimate",
    "REFUSALS",
    "RewardSource",
    "TooFewClusters",
    "TooFewOracleLabels",
    "TooFewRows",
    "UnknownPolicy",
    "VarianceAttribution",
    "WeightOverflow",
    "WeightUnderflow",
    "calibrate",
    "compare",
    "estimate",
    "estimate_all",
    "variance_attribution",
]
