"""Estimators of policy value: IPS, SNIPS, clipped variants and calibrated IPS (SIMCal)."""

from cje_fp.estimators.api import BASE, EstimationConfig, compare, estimate, estimate_all
from cje_fp.estimators.results import (
    ESTIMATORS,
    CalibrationSummary,
    Comparison,
    Diagnostics,
    Estimate,
    EstimateTable,
    EstimatorName,
    RewardSource,
)
from cje_fp.estimators.simcal import SimcalConfig, WeightCalibration

__all__ = [
    "BASE",
    "ESTIMATORS",
    "CalibrationSummary",
    "Comparison",
    "Diagnostics",
    "Estimate",
    "EstimateTable",
    "EstimationConfig",
    "EstimatorName",
    "RewardSource",
    "SimcalConfig",
    "WeightCalibration",
    "compare",
    "estimate",
    "estimate_all",
]
