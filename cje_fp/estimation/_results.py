"""What an estimate reports: value, SE, CI, rows used and excluded, diagnostics, gate status.

Every public record here is data: ``to_dict()`` gives JSON-able data with a
``schema_version`` and ``from_dict`` reads it back (see ``_records``).

>>> from returns.result import Failure
>>> from cje_fp.estimation._errors import UnknownPolicy
>>> table = EstimateTable(results={("x", "snips"): Failure(UnknownPolicy(name="x", available=("t",)))})
>>> EstimateTable.from_dict(table.to_dict()) == Success(table)
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Literal, TypeAlias, final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.estimation._errors import EstimationError, error_from_dict
from cje_fp.estimation._fresh_api import FreshDiagnostics
from cje_fp.estimation._inference import VarianceComponent
from cje_fp.estimation._records import SCHEMA_VERSION, InvalidRecord, JsonObject, JsonValue, Record, versioned
from cje_fp.estimation.diagnostics import GateStatus, MissingnessCheck, OverlapDiagnostics
from cje_fp.estimation.estimators import EstimatorName, WeightCalibration

if TYPE_CHECKING:
    import pandas as pd

RewardMode: TypeAlias = Literal["direct", "residual-corrected", "plug-in"]
"""How rewards entered the estimate: used as they are (oracle labels or raw judge scores), calibrated
judge scores with the oracle labels' residual correction, or the calibrated scores alone (the
incumbent's plug-in, only with ``EstimationConfig(oracle_correction=False)``)."""

RewardSource: TypeAlias = Literal["auto", "oracle", "calibrated", "judge"]
"""Where rewards come from: oracle labels, the calibrated judge, or the raw judge score.

``auto`` uses the oracle labels when every usable row has one, else the calibrated judge.
"""


@final
@attrs.frozen(kw_only=True)
class CalibrationSummary:
    """How the judge -> oracle map fitted."""

    n_labels: int
    n_folds: int
    rmse_in_sample: float
    rmse_out_of_fold: float
    constant: bool
    """The map is flat: the judge carries no monotone information about the oracle."""
    mode: RewardMode = "residual-corrected"
    n_labels_used: int = 0
    """Labelled rows among the rows used (the residual correction's sample)."""
    residual_correction: float | None = None
    """The weighted mean residual ``Y - f_oof(S)`` added to the plug-in value (None in plug-in mode)."""


@final
@attrs.frozen(kw_only=True)
class Diagnostics:
    """Everything an estimate was checked with."""

    overlap: OverlapDiagnostics
    gates: GateStatus
    missingness: MissingnessCheck
    final_ess_fraction: float
    """ESS fraction of the weights the value used (calibrated or clipped ones)."""
    n_clipped: int = 0
    weight_calibration: WeightCalibration | None = None
    calibration: CalibrationSummary | None = None

    @property
    def status(self) -> GateStatus:
        """Overlap gates plus the missingness check."""
        return self.gates + self.missingness.status


@final
@attrs.frozen(kw_only=True)
class Estimate(Record):
    """A policy value with its standard error, interval and diagnostics.

    ``se`` is the total standard error, and every number here is finite.
    With calibrated rewards and the residual correction (the default),
    ``se_sampling`` is the SE of the plug-in part (as if the calibration map
    were exact) and ``se_oracle`` the SE of the oracle-label correction alone;
    both parts are estimated jointly in ``se`` (they are correlated, so
    ``se**2`` is their variances plus twice the covariance). With the plug-in
    (``oracle_correction=False``) ``se_oracle`` is the fold jackknife of the
    calibration (the incumbent's OUA) and ``se**2 = se_sampling**2 +
    se_oracle**2``. ``se_oracle`` is None when the rewards are not calibrated.
    ``flagged`` is true when a gate would have refused and the caller asked for
    the number anyway.
    """

    target: str
    estimator: EstimatorName
    reward_source: Literal["oracle", "calibrated", "judge"]
    value: float
    se: float
    ci: tuple[float, float]
    level: float
    df: float
    se_sampling: float
    se_oracle: float | None
    components: tuple[VarianceComponent, ...]
    n_used: int
    n_clusters: int
    excluded: Mapping[str, int]
    diagnostics: Diagnostics
    flagged: bool
    fresh: FreshDiagnostics | None = None
    """A fresh-draw estimator's draws, audits, stack and DR diagnostics (then ``n_used`` counts
    draws, ``n_clusters`` prompts with draws, and ``diagnostics`` describes the logged rows)."""

    @property
    def n_excluded(self) -> int:
        """Rows of the file that this estimate did not use."""
        return sum(self.excluded.values())

    def describe(self) -> str:
        """One line for humans."""
        low, high = self.ci
        flag = " FLAGGED" if self.flagged else ""
        return (
            f"{self.target} [{self.estimator}] {self.value:.4f} "
            f"(SE {self.se:.4f}, {self.level:.0%} CI [{low:.4f}, {high:.4f}], n={self.n_used}){flag}"
        )

    def to_frame(self) -> pd.DataFrame:
        """This estimate as a one-row DataFrame (``[pandas]`` extra)."""
        from cje_fp.estimation._frame import estimates_frame

        return estimates_frame([(self.target, self.estimator, Success(self))])

    def _repr_html_(self) -> str:
        from cje_fp.estimation._notebook import estimates_html

        return estimates_html([(self.target, self.estimator, Success(self))])


@final
@attrs.frozen(kw_only=True)
class Comparison(Record):
    """A paired difference ``target - baseline`` on the rows both can use."""

    target: str
    baseline: str
    """Another target policy, or ``"<base>"`` for the logging policy itself."""
    estimator: EstimatorName
    difference: float
    se: float
    ci: tuple[float, float]
    level: float
    df: float
    target_value: float
    baseline_value: float
    n_used: int
    excluded: Mapping[str, int]
    gates: GateStatus
    """Both policies' overlap gates (the baseline's reasons prefixed with its name) and the
    missingness check of the rows the comparison could not use."""
    flagged: bool
    """A gate or the missingness check would have refused."""
    p_value: float = 1.0
    """Two-sided p-value of "no difference" (Student's t with ``df``)."""
    holm_p_value: float | None = None
    """Set by ``compare_all`` with ``holm=True``: the Holm-adjusted p-value; ``ci`` and ``level`` are then
    the family's simultaneous (Bonferroni) interval, ``1 - (1 - nominal level) / m`` for ``m`` comparisons."""


EstimateResult: TypeAlias = Result[Estimate, EstimationError]


@final
@attrs.frozen(kw_only=True)
class EstimateTable:
    """One result per (target, estimator): an estimate or why there is none."""

    results: Mapping[tuple[str, EstimatorName], EstimateResult]

    def __iter__(self) -> Iterator[tuple[str, EstimatorName, EstimateResult]]:
        for (target, estimator), result in self.results.items():
            yield target, estimator, result

    def to_frame(self) -> pd.DataFrame:
        """One row per (policy, estimator); a refusal has no number (``[pandas]`` extra)."""
        from cje_fp.estimation._frame import estimates_frame

        return estimates_frame(self)

    def _repr_html_(self) -> str:
        from cje_fp.estimation._notebook import estimates_html

        return estimates_html(self)

    def get(self, target: str, estimator: EstimatorName) -> EstimateResult:
        """The result for one pair (KeyError if it was not requested)."""
        return self.results[(target, estimator)]

    def describe(self) -> str:
        """One line per pair: the estimate, or the error's description."""
        lines = []
        for target, estimator, result in self:
            match sealed(result):
                case Success(estimate):
                    lines.append(estimate.describe())
                case Failure(error):
                    lines.append(f"{target} [{estimator}] no estimate: {error.describe()}")
        return "\n".join(lines)

    def to_dict(self) -> JsonObject:
        """Every pair's estimate or error as JSON data, in order, with ``schema_version``."""
        results: list[JsonValue] = []
        for target, estimator, result in self:
            entry: JsonObject = {"target": target, "estimator": estimator}
            match sealed(result):
                case Success(estimate):
                    entry["estimate"] = estimate.to_dict()
                case Failure(error):
                    entry["error"] = error.to_dict()
            results.append(entry)
        return {"schema_version": SCHEMA_VERSION, "results": results}

    @classmethod
    def from_dict(cls, data: object) -> Result[EstimateTable, InvalidRecord]:
        """The table ``to_dict`` wrote, or why ``data`` is not one."""
        return versioned(data, cls.__name__).bind(_table)


def _table(fields: dict[str, object]) -> Result[EstimateTable, InvalidRecord]:
    entries = fields.get("results")
    if not isinstance(entries, list):
        return Failure(InvalidRecord(record="EstimateTable", reason="results is not a list"))
    results: dict[tuple[str, EstimatorName], EstimateResult] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("target"), str):
            return Failure(InvalidRecord(record="EstimateTable", reason=f"not a result entry: {entry!r}"))
        match sealed(entry_result(entry)):
            case Success(result):
                results[(str(entry["target"]), str(entry.get("estimator")))] = result
            case Failure(error):
                return Failure(error)
    return Success(EstimateTable(results=results))


def entry_result(entry: Mapping[str, object]) -> Result[EstimateResult, InvalidRecord]:
    """The ``Result`` an entry holds: its ``estimate`` (a Success) or its ``error`` (a Failure)."""
    if "estimate" in entry:
        return Estimate.from_dict(entry["estimate"]).map(_success)
    return error_from_dict(entry.get("error")).map(_failure)


def _success(estimate: Estimate) -> EstimateResult:
    return Success(estimate)


def _failure(error: EstimationError) -> EstimateResult:
    return Failure(error)
