"""Weight diagnostics: overlap, tails, gates and missingness checks."""

from ._overlap import (
    GateStatus as GateStatus,
    GateThresholds as GateThresholds,
    MissingnessCheck as MissingnessCheck,
    OverlapDiagnostics as OverlapDiagnostics,
    WeightNormalisation as WeightNormalisation,
    evaluate_gates as evaluate_gates,
    missingness_check as missingness_check,
    overlap_diagnostics as overlap_diagnostics,
)

__all__ = [
    "GateStatus",
    "GateThresholds",
    "MissingnessCheck",
    "OverlapDiagnostics",
    "WeightNormalisation",
    "evaluate_gates",
    "missingness_check",
    "overlap_diagnostics",
]
