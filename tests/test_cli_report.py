from __future__ import annotations

import json
from pathlib import Path

from returns.result import Failure

from cje_fp.report._json import estimates_json
from cje_fp.io._score_input import read_input
from cje_fp.estimation._errors import UnknownPolicy
from cje_fp.estimation._results import EstimateTable
from cje_fp.io._jsonl import hashed_prompt_id
from tests.conftest import value_of


def test_an_error_before_counting_rows_reports_no_row_count() -> None:
    table = EstimateTable(results={("x", "snips"): Failure(UnknownPolicy(name="x", available=("t",)))})
    entry = estimates_json(table)["x"]["snips"]
    assert entry["status"] == "refused" and entry["n_used"] is None
    assert "value" not in entry and "ci" not in entry
    json.dumps(entry, allow_nan=False)


def test_score_and_load_derive_the_same_id_for_a_row_without_one(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"prompt": "hello", "response": "a"}\n')
    assert [row.row_id for row in value_of(read_input(path))] == [hashed_prompt_id("hello")]
