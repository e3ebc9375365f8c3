"""Known-truth worlds, simulated end to end, and the evaluation of estimators against truth."""

from ._evaluation import (
    evaluate_estimators as evaluate_estimators,
)
from ._labelling import (
    LabelPlan as LabelPlan,
)
from ._scenarios import (
    SCENARIO_NAMES as SCENARIO_NAMES,
    Scenario as Scenario,
    ScenarioDraw as ScenarioDraw,
    scenario_named as scenario_named,
)
from ._study import (
    evaluate_scenario as evaluate_scenario,
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
    "SCENARIO_NAMES",
    "FaultRates",
    "LabelPlan",
    "Scenario",
    "ScenarioDraw",
    "TargetSpec",
    "WorldConfig",
    "build_world",
    "demo",
    "evaluate_estimators",
    "evaluate_scenario",
    "scenario_named",
    "simulate",
]
