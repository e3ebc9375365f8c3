"""The ``estimates`` section of the JSON report: the stable summary keys, and the records it is read back from."""

from __future__ import annotations

import json

import numpy as np
from returns.result import Failure, Success

from cje_fp.estimation import EstimateTable, estimate_all
from cje_fp.estimation._errors import UnknownPolicy
from cje_fp.report._json import estimates_json, table_from_estimates
from tests.helpers.estimation import dataset, poor_overlap_dataset
from tests.helpers.results import error_of


def test_an_error_before_counting_rows_reports_no_row_count() -> None:
    table = EstimateTable(results={("x", "snips"): Failure(UnknownPolicy(name="x", available=("t",)))})
    entry = estimates_json(table)["x"]["snips"]
    assert entry["status"] == "refused" and entry["n_used"] is None
    assert "value" not in entry and "ci" not in entry
    json.dumps(entry, allow_nan=False)


def test_the_section_reads_back_into_the_same_table() -> None:
    rng = np.random.default_rng(7)
    n = 200
    good = dataset([-2.0] * n, {"t": list(-2.0 + rng.normal(0.0, 0.2, n))}, list(rng.uniform(size=n)))
    table = estimate_all(good, estimators=("snips", "ips", "calibrated-ips"))
    refused = estimate_all(poor_overlap_dataset(), estimators=("snips", "ips"))
    for original in (table, refused):
        text = json.dumps(estimates_json(original), allow_nan=False)
        assert table_from_estimates(json.loads(text)) == Success(original)
    entry = estimates_json(refused)["t"]["ips"]
    assert entry["status"] == "refused" and entry["record"]["kind"] == entry["kind"] == "insufficient_overlap"


def test_a_section_without_records_is_an_invalid_record_not_an_exception() -> None:
    assert error_of(table_from_estimates([])).kind == "invalid_record"
    broken = {"t": {"snips": {"status": "ok", "value": 0.5}}}
    assert "no record" in error_of(table_from_estimates(broken)).reason
    wrong = {"t": {"snips": {"status": "ok", "record": {"schema_version": 1, "value": "high"}}}}
    assert error_of(table_from_estimates(wrong)).record == "Estimate"
