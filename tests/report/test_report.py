"""``Report``: the estimates and their provenance, one library record that round-trips through JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from returns.result import Success

from cje_fp.estimation import ESTIMATORS, EstimationConfig, estimate_all
from cje_fp.io import load_dataset, write_jsonl
from cje_fp.report import Report, estimation_report
from tests.helpers.estimation import dataset, poor_overlap_dataset
from tests.helpers.results import error_of, value_of


def test_a_report_of_a_real_file_round_trips_and_records_its_provenance(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    n = 150
    path = tmp_path / "scored.jsonl"
    source = dataset([-2.0] * n, {"t": list(-2.0 + rng.normal(0.0, 0.2, n))}, list(rng.uniform(size=n)))
    write_jsonl(path, source, prompts=lambda i: f"prompt {i}", responses=lambda i: "answer")
    loaded = value_of(load_dataset(path))
    table = estimate_all(loaded, estimators=("snips", "ips"), targets=("t",))
    report = estimation_report(
        table, loaded, path=path, targets=("t",), estimators=("snips", "ips"), level=0.95,
        allow_flagged=False, lenient=False, config=EstimationConfig(),
    )
    text = report.to_json()
    assert Report.from_json(text) == Success(report)
    document = json.loads(text)
    assert document["schema_version"] == 1 and set(document) == {"schema_version", "estimates", "estimators", "provenance"}
    assert len(document["provenance"]["data"]["sha256"]) == 64 and document["provenance"]["data"]["rows"] == n
    assert document["provenance"]["config"]["estimators"] == ["snips", "ips"]
    assert document["estimators"]["ips"]["normalisation"] == "unnormalised"
    assert set(document["estimators"]) <= set(ESTIMATORS)
    entry = document["estimates"]["t"]["snips"]
    assert entry["status"] == "ok" and {"value", "se", "ci", "n_used", "reason", "diagnostics"} <= set(entry)


def test_a_report_of_refusals_round_trips() -> None:
    report = Report(estimates=estimate_all(poor_overlap_dataset(), estimators=("snips", "magic")), provenance={})
    assert Report.from_dict(json.loads(report.to_json())) == Success(report)
    assert json.loads(report.to_json())["estimates"]["t"]["magic"]["kind"] == "invalid_option"


def test_text_that_is_not_a_report_is_an_invalid_record() -> None:
    assert "not JSON" in error_of(Report.from_json("{")).reason
    assert "schema_version" in error_of(Report.from_json('{"estimates": {}}')).reason
    assert error_of(Report.from_dict({"schema_version": 1, "estimates": {}, "provenance": []})).kind == "invalid_record"
