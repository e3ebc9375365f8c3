"""The estimators: one public module per estimator, found by the registry.

Adding an estimator is one new module here that defines ``ESTIMATOR`` (an
``Estimator``: name, summary, normalisation and ``run(context)``), plus its
tests; the private modules are the parts estimators share.
"""

from ._arrays import (
    PointRun as PointRun,
    TargetArrays as TargetArrays,
)
from ._on_policy import on_policy as on_policy
from ._protocol import (
    Estimator as Estimator,
    EstimatorContext as EstimatorContext,
    EstimatorRun as EstimatorRun,
    ExtraInputs as ExtraInputs,
)
from ._registry import (
    ESTIMATORS as ESTIMATORS,
    EstimatorName as EstimatorName,
    estimators_markdown as estimators_markdown,
    lookup_estimator as lookup_estimator,
    registered_estimators as registered_estimators,
)
from ._simcal import (
    SimcalConfig as SimcalConfig,
    WeightCalibration as WeightCalibration,
    WeightCalibrationStatus as WeightCalibrationStatus,
)

__all__ = [
    "ESTIMATORS",
    "Estimator",
    "EstimatorContext",
    "EstimatorName",
    "EstimatorRun",
    "ExtraInputs",
    "PointRun",
    "SimcalConfig",
    "TargetArrays",
    "WeightCalibration",
    "WeightCalibrationStatus",
    "estimators_markdown",
    "lookup_estimator",
    "on_policy",
    "registered_estimators",
]
