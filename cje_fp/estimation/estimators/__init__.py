"""The estimators: one public module per estimator, found by the registry.

Adding an estimator is one new module here that defines ``ESTIMATOR`` (an
``Estimator``: name, summary, normalisation, inputs and ``run(context)``; or a
``Chooser`` such as ``auto``), plus its tests; the private modules are the
parts estimators share.
"""

from ._arrays import (
    PointRun as PointRun,
    TargetArrays as TargetArrays,
)
from ._on_policy import on_policy as on_policy
from ._protocol import (
    Chooser as Chooser,
    Estimator as Estimator,
    EstimatorContext as EstimatorContext,
    EstimatorInputs as EstimatorInputs,
    EstimatorRun as EstimatorRun,
    ExtraInputs as ExtraInputs,
    OwnedRun as OwnedRun,
)
from ._registry import (
    ESTIMATORS as ESTIMATORS,
    EstimatorName as EstimatorName,
    estimators_for as estimators_for,
    estimators_markdown as estimators_markdown,
    lookup_estimator as lookup_estimator,
    registered_estimators as registered_estimators,
    resolve_estimators as resolve_estimators,
)
from ._simcal import (
    SimcalConfig as SimcalConfig,
    WeightCalibration as WeightCalibration,
    WeightCalibrationStatus as WeightCalibrationStatus,
)

__all__ = [
    "ESTIMATORS",
    "Chooser",
    "Estimator",
    "EstimatorContext",
    "EstimatorInputs",
    "EstimatorName",
    "EstimatorRun",
    "ExtraInputs",
    "OwnedRun",
    "PointRun",
    "SimcalConfig",
    "TargetArrays",
    "WeightCalibration",
    "WeightCalibrationStatus",
    "estimators_for",
    "estimators_markdown",
    "lookup_estimator",
    "on_policy",
    "registered_estimators",
    "resolve_estimators",
]
