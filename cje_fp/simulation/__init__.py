"""Known-truth worlds, simulated end to end, and the evaluation of estimators against truth."""

from ._evaluation import (
    evaluate_estimators as evaluate_estimators,
)
from ._fresh_evaluation import (
    FreshPerformance as FreshPerformance,
    FreshStudy as FreshStudy,
    evaluate_fresh as evaluate_fresh,
)
from ._fresh_worlds import (
    FAR as FAR,
    NEAR as NEAR,
    NOISY as NOISY,
    STYLE as STYLE,
    WORLDS as WORLDS,
    FreshTarget as FreshTarget,
    FreshWorld as FreshWorld,
    draw_replication as draw_replication,
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
    "FAR",
    "NEAR",
    "NOISY",
    "SCENARIO_NAMES",
    "STYLE",
    "WORLDS",
    "FaultRates",
    "FreshPerformance",
    "FreshStudy",
    "FreshTarget",
    "FreshWorld",
    "LabelPlan",
    "Scenario",
    "ScenarioDraw",
    "TargetSpec",
    "WorldConfig",
    "build_world",
    "demo",
    "draw_replication",
    "evaluate_estimators",
    "evaluate_fresh",
    "evaluate_scenario",
    "scenario_named",
    "simulate",
]
