"""The ``estimates`` section of the JSON report: policy -> estimator -> entry.

An entry is ``{"status": "ok", "value", "se", "ci": [low, high], "n_used",
"reason": null, "diagnostics": {...}, "record": {...}}`` or ``{"status":
"refused", "n_used", "reason": "...", "kind": "...", "diagnostics": {...},
"record": {...}}`` (no value, se or ci: a refusal has no number; ``n_used`` is
null when the error came before rows were counted). ``record`` is the whole
``Estimate`` or error (``to_dict()``), from which ``table_from_estimates`` reads
the table back; the other keys are the stable summary people and scripts read.
"""

from __future__ import annotations

from typing import Any

from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.estimation import (
    CalibrationDoesNotTransport,
    Estimate,
    EstimateTable,
    EstimationError,
    InformativeMissingness,
    InsufficientOverlap,
    InvalidRecord,
    JudgeOutOfRange,
    TooFewRows,
    to_data,
    variance_attribution,
)
from cje_fp.estimation._results import EstimateResult, entry_result

#: ``to_data`` under the name the report has always used for it.
jsonable = to_data


def _estimate_entry(estimate: Estimate) -> dict[str, Any]:
    diagnostics = estimate.diagnostics
    status = diagnostics.status
    return {
        "status": "ok",
        "value": estimate.value,
        "se": estimate.se,
        "ci": list(estimate.ci),
        "level": estimate.level,
        "n_used": estimate.n_used,
        "n_excluded": estimate.n_excluded,
        "excluded": dict(estimate.excluded),
        "reason": None,
        "flagged": estimate.flagged,
        "se_sampling": estimate.se_sampling,
        "se_oracle": estimate.se_oracle,
        "reward_source": estimate.reward_source,
        "variance_attribution": jsonable(variance_attribution(estimate)),
        "diagnostics": jsonable(
            {
                "gate": status.level,
                "refusals": status.refusals,
                "warnings": status.warnings,
                "final_ess_fraction": diagnostics.final_ess_fraction,
                "overlap": diagnostics.overlap,
                "calibration": diagnostics.calibration,
            }
        ),
        "fresh": jsonable(estimate.fresh),
        "record": estimate.to_dict(),
    }


def _refusal_entry(error: EstimationError) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": "refused", "kind": error.kind, "reason": error.describe()}
    match error:
        case InsufficientOverlap(diagnostics=overlap, reasons=reasons):
            entry["n_used"] = overlap.n
            entry["diagnostics"] = jsonable({"gate": "refuse", "refusals": reasons, "overlap": overlap})
        case InformativeMissingness(check=check, reasons=reasons):
            entry["n_used"] = check.n_used
            entry["diagnostics"] = jsonable({"gate": "refuse", "refusals": reasons, "missingness": check})
        case CalibrationDoesNotTransport(audit=transport):
            entry["n_used"] = None
            entry["diagnostics"] = jsonable({"gate": "refuse", "transport": transport})
        case JudgeOutOfRange(audit=boundary):
            entry["n_used"] = None
            entry["diagnostics"] = jsonable({"gate": "refuse", "boundary": boundary})
        case TooFewRows(n_used=n_used):
            entry["n_used"] = n_used
            entry["diagnostics"] = {}
        case _:
            entry["n_used"] = None  # the error happened before rows were counted
            entry["diagnostics"] = {}
    entry["record"] = error.to_dict()
    return entry


def estimates_json(table: EstimateTable) -> dict[str, dict[str, dict[str, Any]]]:
    """The ``estimates`` section: policy -> estimator -> entry."""
    section: dict[str, dict[str, dict[str, Any]]] = {}
    for target, estimator, result in table:
        match sealed(result):
            case Success(estimate):
                section.setdefault(target, {})[estimator] = _estimate_entry(estimate)
            case Failure(error):
                section.setdefault(target, {})[estimator] = _refusal_entry(error)
    return section


def table_from_estimates(section: object) -> Result[EstimateTable, InvalidRecord]:
    """The ``EstimateTable`` an ``estimates`` section holds (from each entry's ``record``)."""
    if not isinstance(section, dict):
        return Failure(InvalidRecord(record="estimates", reason="not an object of policies"))
    results: dict[tuple[str, str], EstimateResult] = {}
    for target, by_estimator in section.items():
        if not isinstance(by_estimator, dict):
            return Failure(InvalidRecord(record="estimates", reason=f"{target!r} is not an object of estimators"))
        for estimator, entry in by_estimator.items():
            match sealed(_entry(str(target), str(estimator), entry)):
                case Success(result):
                    results[(str(target), str(estimator))] = result
                case Failure(error):
                    return Failure(error)
    return Success(EstimateTable(results=results))


def _entry(target: str, estimator: str, entry: object) -> Result[EstimateResult, InvalidRecord]:
    if not isinstance(entry, dict) or not isinstance(entry.get("record"), dict):
        return Failure(InvalidRecord(record="estimates", reason=f"{target} [{estimator}] has no record"))
    return entry_result({"estimate" if entry.get("status") == "ok" else "error": entry["record"]})
