"""Weight diagnostics: overlap, tails, gates and missingness checks."""

from ._gates import (
    GateLevel as GateLevel,
    GateStatus as GateStatus,
    GateThresholds as GateThresholds,
    WeightNormalisation as WeightNormalisation,
    evaluate_gates as evaluate_gates,
)
from ._missingness import (
    Association as Association,
    MissingnessCheck as MissingnessCheck,
    missingness_check as missingness_check,
)
from ._overlap import (
    OverlapDiagnostics as OverlapDiagnostics,
    ess_fraction as ess_fraction,
    ess_fraction_of_weights as ess_fraction_of_weights,
    overlap_diagnostics as overlap_diagnostics,
)
from ._tails import (
    generalized_pareto_shape as generalized_pareto_shape,
    hill_tail_index as hill_tail_index,
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
