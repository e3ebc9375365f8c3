"""Weight diagnostics: overlap, tails, gates and missingness checks."""

from ._gates import (
    GateLevel as GateLevel,
)
from ._gates import (
    GateStatus as GateStatus,
)
from ._gates import (
    GateThresholds as GateThresholds,
)
from ._gates import (
    WeightNormalisation as WeightNormalisation,
)
from ._gates import (
    evaluate_gates as evaluate_gates,
)
from ._missingness import (
    Association as Association,
)
from ._missingness import (
    MissingnessCheck as MissingnessCheck,
)
from ._missingness import (
    missingness_check as missingness_check,
)
from ._overlap import (
    OverlapDiagnostics as OverlapDiagnostics,
)
from ._overlap import (
    ess_fraction as ess_fraction,
)
from ._overlap import (
    ess_fraction_of_weights as ess_fraction_of_weights,
)
from ._overlap import (
    overlap_diagnostics as overlap_diagnostics,
)
from ._tails import (
    generalized_pareto_shape as generalized_pareto_shape,
)
from ._tails import (
    hill_tail_index as hill_tail_index,
)
from ._tails import (
    psis_shape as psis_shape,
)

__all__ = [
    "Association",
    "GateLevel",
    "GateStatus",
    "GateThresholds",
    "MissingnessCheck",
    "OverlapDiagnostics",
    "WeightNormalisation",
    "ess_fraction",
    "ess_fraction_of_weights",
    "evaluate_gates",
    "generalized_pareto_shape",
    "hill_tail_index",
    "missingness_check",
    "overlap_diagnostics",
    "psis_shape",
]
