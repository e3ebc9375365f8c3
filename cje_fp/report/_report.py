"""``Report``: estimates and how they were made, one record that round-trips through JSON.

The layout (README, "The command line")::

    {"schema_version": 1,
     "estimates": {policy: {estimator: entry}},      # see ``_json``
     "estimators": {name: {"summary", "normalisation"}},  # from the registry
     "provenance": {"data", "config", "seeds", "versions", "argv", "created"}}

``Report.from_dict(report.to_dict()) == Success(report)``: the estimates are
read back from each entry's ``record``; ``estimators`` is derived from the
registry and not read.

>>> from returns.result import Failure
>>> from cje_fp.estimation import EstimateTable, UnknownPolicy
>>> table = EstimateTable(results={("x", "snips"): Failure(UnknownPolicy(name="x", available=("t",)))})
>>> report = Report(estimates=table, provenance={"argv": []})
>>> Report.from_json(report.to_json()) == Success(report)
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import (
    SCHEMA_VERSION,
    EstimateTable,
    EstimationConfig,
    InvalidRecord,
    JsonObject,
    JsonValue,
    to_data,
    to_object,
)
from cje_fp.estimation._records import versioned
from cje_fp.estimation.estimators import lookup_estimator
from cje_fp.report._json import estimates_json, table_from_estimates
from cje_fp.report._provenance import file_sha256, manifest

if TYPE_CHECKING:
    import pandas as pd


@final
@attrs.frozen(kw_only=True)
class Report:
    """The estimates of a run and its provenance (data hash, configuration, versions, seeds)."""

    estimates: EstimateTable
    provenance: Mapping[str, JsonValue]
    """JSON data describing how the estimates were made (``estimation_report`` fills it)."""

    def to_dict(self) -> JsonObject:
        """The report as JSON data (the README's layout, with ``schema_version``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "estimates": to_data(estimates_json(self.estimates)),
            "estimators": _estimators(self.estimates),
            "provenance": to_object(self.provenance),
        }

    def to_json(self) -> str:
        """The report as indented JSON text (no NaN or inf: they are strings)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"

    def to_frame(self) -> pd.DataFrame:
        """One row per (policy, estimator); a refusal has no number (``[pandas]`` extra)."""
        return self.estimates.to_frame()

    def to_html(self) -> str:
        """The report as one self-contained HTML page (what ``cje-fp report --html`` writes)."""
        from cje_fp.report._html import report_page

        return report_page(self.to_dict())

    def _repr_html_(self) -> str:
        from cje_fp.report._html import report_fragment

        return report_fragment(self.to_dict())

    @classmethod
    def from_dict(cls, data: object) -> Result[Report, InvalidRecord]:
        """The report ``to_dict`` wrote, or why ``data`` is not one."""
        return versioned(data, "Report").bind(_report)

    @classmethod
    def from_json(cls, text: str) -> Result[Report, InvalidRecord]:
        """The report ``to_json`` wrote, or why ``text`` is not one."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            return Failure(InvalidRecord(record="Report", reason=f"not JSON: {error}"))
        return cls.from_dict(data)


def _report(fields: dict[str, object]) -> Result[Report, InvalidRecord]:
    provenance = fields.get("provenance")
    if not isinstance(provenance, dict):
        return Failure(InvalidRecord(record="Report", reason="provenance is not an object"))
    return table_from_estimates(fields.get("estimates")).map(
        lambda table: Report(estimates=table, provenance=to_object(provenance))
    )


def _estimators(table: EstimateTable) -> JsonObject:
    described: JsonObject = {}
    for _, name, _ in table:
        match sealed(lookup_estimator(name)):
            case Success(estimator):
                described[name] = {
                    "summary": estimator.summary, "normalisation": estimator.normalisation, "inputs": estimator.inputs
                }
            case Failure(_):
                pass  # an unknown name is refused in its entry
    return described


def estimation_report(
    table: EstimateTable,
    dataset: Dataset,
    *,
    path: Path,
    targets: Sequence[str],
    estimators: Sequence[str],
    level: float,
    allow_flagged: bool,
    lenient: bool,
    config: EstimationConfig,
    judge_field: str = "judge_score",
    oracle_field: str = "oracle_label",
    options: Mapping[str, JsonValue] | None = None,
) -> Report:
    """The report of ``estimate_all`` on the file at ``path``: its hash, rows, options and versions.

    ``options`` adds further settings to the recorded configuration (e.g. ``label_design``)."""
    provenance = manifest(
        data={
            "path": str(path),
            "sha256": file_sha256(path),
            "rows": dataset.n_rows,
            "dropped": dict(dataset.dropped),
        },
        config=to_data(
            {
                "estimators": estimators,
                "targets": targets,
                "level": level,
                "allow_flagged": allow_flagged,
                "lenient": lenient,
                "judge_field": judge_field,
                "oracle_field": oracle_field,
                **({} if options is None else options),
                "estimation": config,
            }
        ),
        seeds={"calibration_folds": config.calibration.seed},
    )
    return Report(estimates=table, provenance=to_object(provenance))
