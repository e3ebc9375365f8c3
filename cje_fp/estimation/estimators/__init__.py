"""The estimators' point computations: IPS, SNIPS, clipped IPS and calibrated IPS (SIMCal)."""

from ._core import (
    PointRun as PointRun,
    TargetArrays as TargetArrays,
    ips as ips,
    on_policy as on_policy,
    snips as snips,
)
from ._simcal import (
    SimcalConfig as SimcalConfig,
    WeightCalibration as WeightCalibration,
    calibrated_ips as calibrated_ips,
)

__all__ = [
    "PointRun",
    "SimcalConfig",
    "TargetArrays",
    "WeightCalibration",
    "calibrated_ips",
    "ips",
    "on_policy",
    "snips",
]
