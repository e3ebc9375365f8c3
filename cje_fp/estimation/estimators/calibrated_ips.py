"""``calibrated-ips``: SNIPS with weights projected on the calibrated-reward index (SIMCal).

The projection, its refitting jackknife, the bias guard and the "does it pay"
test are in ``_simcal``; this module plugs it into the registry and turns a
skipped or rejected projection into a note on the estimate (the value is then
SNIPS's, and says so).
"""

from __future__ import annotations

from typing import ClassVar, Final, final

import attrs
from returns.result import Result, Success

from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._protocol import Estimator, EstimatorContext, EstimatorInputs, EstimatorRun
from cje_fp.estimation.estimators._simcal import WeightCalibration, calibrated_ips

__all__ = ["ESTIMATOR", "CalibratedIps"]


def calibration_note(info: WeightCalibration) -> tuple[str, ...]:
    """A warning when the projection was skipped or rejected (SNIPS is reported instead)."""
    match info.status:
        case "applied" | "not_better":
            return ()
        case "skipped":
            return ("weight calibration skipped: the raw weights fail the overlap gates; SNIPS reported instead",)
        case "rejected":
            return (
                f"weight calibration rejected: it moved the estimate by {info.shift:+.4f} "
                f"(SE {info.shift_se:.4f}) from SNIPS; SNIPS reported instead",
            )


@final
@attrs.frozen
class CalibratedIps:
    """SIMCal-weighted SNIPS with a bias guard against SNIPS."""

    name: ClassVar[str] = "calibrated-ips"
    summary: ClassVar[str] = (
        "SNIPS with weights projected monotonically on the calibrated-reward index (SIMCal), kept only "
        "when it passes a bias guard and lowers the estimated error"
    )
    normalisation: ClassVar[WeightNormalisation] = "self-normalised"
    inputs: ClassVar[EstimatorInputs] = "logged"

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun, EstimationError]:
        point, info = calibrated_ips(context.arrays, context.config.simcal, allowed=context.raw_weights_pass_gates)
        return Success(EstimatorRun(point=point, weight_calibration=info, warnings=calibration_note(info)))


ESTIMATOR: Final[Estimator] = CalibratedIps()
