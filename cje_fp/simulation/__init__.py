"""Known-truth worlds, simulated end to end, and the evaluation of estimators against truth."""

from ._evaluation import (
    evaluate_estimators as evaluate_estimators,
)
from ._labelling import (
    LabelPlan as LabelPlan,
)
from ._scenarios import (
    SCENARIO_NAMES as SCENARIO_NAMES,
)
from ._scenarios import (
    Scenario as Scenario,
)
from ._scenarios import (
    ScenarioDraw as ScenarioDraw,
)
from ._scenarios import (
    scenario_named as scenario_named,
)
from ._study import (
    evaluate_scenario as evaluate_scenario,
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
