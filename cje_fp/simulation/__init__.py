"""Known-truth worlds, simulated end to end, and the evaluation of estimators against truth."""

from ._evaluation import (
    evaluate_estimators as evaluate_estimators,
)
from ._worlds import (
    FaultRates as FaultRates,
)
from ._worlds import (
    TargetSpec as TargetSpec,
)
from ._worlds import (
    WorldConfig as WorldConfig,
)
from ._worlds import (
    build_world as build_world,
)
from ._worlds import (
    demo as demo,
)
from ._worlds import (
    simulate as simulate,
)

__all__ = [
    "FaultRates",
    "TargetSpec",
    "WorldConfig",
    "build_world",
    "demo",
    "evaluate_estimators",
    "simulate",
]
