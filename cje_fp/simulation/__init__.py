"""Known-truth worlds, simulated end to end, and the evaluation of estimators against truth."""

from ._evaluation import (
    evaluate_estimators as evaluate_estimators,
)
from ._fresh_evaluation import (
    FreshPerformance as FreshPerformance,
)
from ._fresh_evaluation import (
    FreshStudy as FreshStudy,
)
from ._fresh_evaluation import (
    evaluate_fresh as evaluate_fresh,
)
from ._fresh_worlds import (
    FAR as FAR,
)
from ._fresh_worlds import (
    NEAR as NEAR,
)
from ._fresh_worlds import (
    NOISY as NOISY,
)
from ._fresh_worlds import (
    STYLE as STYLE,
)
from ._fresh_worlds import (
    WORLDS as WORLDS,
)
from ._fresh_worlds import (
    FreshTarget as FreshTarget,
)
from ._fresh_worlds import (
    FreshWorld as FreshWorld,
)
from ._fresh_worlds import (
    draw_replication as draw_replication,
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
    "FAR",
    "NEAR",
    "NOISY",
    "STYLE",
    "WORLDS",
    "FaultRates",
    "FreshPerformance",
    "FreshStudy",
    "FreshTarget",
    "FreshWorld",
    "TargetSpec",
    "WorldConfig",
    "build_world",
    "demo",
    "draw_replication",
    "evaluate_estimators",
    "evaluate_fresh",
    "simulate",
]
