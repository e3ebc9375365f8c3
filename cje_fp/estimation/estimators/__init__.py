"""The estimators: one public module per estimator, found by the registry.

Adding an estimator is one new module here that defines ``ESTIMATOR`` (an
``Estimator``: name, summary, normalisation and ``run(context)``), plus its
tests; the private modules are the parts estimators share.
"""

from ._arrays import (
    PointRun as PointRun,
)
from ._arrays import (
    TargetArrays as TargetArrays,
)
from ._on_policy import on_policy as on_policy
from ._protocol import (
    Estimator as Estimator,
)
from ._protocol import (
    EstimatorContext as EstimatorContext,
)
from ._protocol import (
    EstimatorRun as EstimatorRun,
)
from ._protocol import (
    ExtraInputs as ExtraInputs,
)
from ._registry import (
    ESTIMATORS as ESTIMATORS,
)
from ._registry import (
    EstimatorName as EstimatorName,
)
from ._registry import (
    estimators_markdown as estimators_markdown,
)
from ._registry import (
    lookup_estimator as lookup_estimator,
)
from ._registry import (
    registered_estimators as registered_estimators,
)
from ._simcal import (
    SimcalConfig as SimcalConfig,
)
from ._simcal import (
    WeightCalibration as WeightCalibration,
)
from ._simcal import (
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
