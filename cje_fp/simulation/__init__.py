"""Known-truth worlds, simulated end to end, and the evaluation of estimators against truth."""

from ._evaluation import (
    evaluate_estimators as evaluate_estimators,
)
from ._worlds import (
    FaultRates as FaultRates,
    TargetSpec as TargetSpec,
    WorldConfig as WorldConfig,
    build_world as build_world,
    demo as demo,
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
