"""A scored row and its cells: what is written is what stands on resume, unless the text or the fingerprint changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from returns.result import Failure, Success

from cje_fp.errors import ConnectionFailed, InvalidInput, Timeout
from cje_fp.io import InputRow
from cje_fp.policy import LogProbResult
from cje_fp.scoring import ScoreConfig, load_config
from cje_fp.scoring._scored_rows import output_row, resumable, stored_cells
from tests.helpers.results import error_of, value_of
from tests.helpers.scoring import write_tabular_config

ROW = InputRow(line=1, row_id="r1", prompt="q", response="a", fields={"prompt": "q", "response": "a", "extra": [1]})


def known_cells(
    written: dict[str, Any], config: ScoreConfig, *, retry_failed: bool, row: InputRow = ROW
) -> dict[str, LogProbResult]:
    return resumable(value_of(stored_cells(written, row, config)), retry_failed=retry_failed)


@pytest.fixture
def config(tmp_path: Path) -> ScoreConfig:
    return value_of(load_config(write_tabular_config(tmp_path, {"base": {"q": {"a": -1.0}}, "t": {"q": {"a": -2.0}}})))


@pytest.mark.parametrize(
    "cells",
    [
        {"base": Success(-1.0), "t": Success(-2.0)},
        {"base": Success(-1.0), "t": Failure(InvalidInput(field="response", reason="outside"))},
        {"base": Failure(Timeout(seconds=3.0)), "t": Success(-0.0)},
    ],
)
def test_written_cells_stand_on_resume(config: ScoreConfig, cells: dict[str, LogProbResult]) -> None:
    written = output_row(ROW, cells, config)
    assert written["extra"] == [1] and written["prompt_id"] == "r1"
    assert (known_cells(written, config, retry_failed=False)) == cells
    assert (known_cells(written, config, retry_failed=True)) == {
        name: cell for name, cell in cells.items() if isinstance(cell, Success)
    }


def test_a_changed_fingerprint_or_a_backend_outage_does_not_stand(config: ScoreConfig) -> None:
    cells: dict[str, LogProbResult] = {"base": Success(-1.0), "t": Failure(ConnectionFailed(reason="refused"))}
    written = output_row(ROW, cells, config)
    assert (known_cells(written, config, retry_failed=False)) == {"base": Success(-1.0)}
    written["logprob_source"]["base"] = {"kind": "tabular", "table": "another"}
    assert (known_cells(written, config, retry_failed=False)) == {}


def test_a_changed_prompt_or_response_under_the_same_id_does_not_stand(config: ScoreConfig) -> None:
    written = output_row(ROW, {"base": Success(-1.0), "t": Success(-2.0)}, config)
    for edited in (
        InputRow(line=1, row_id="r1", prompt="q", response="b", fields={}),
        InputRow(line=1, row_id="r1", prompt="q2", response="a", fields={}),
    ):
        assert known_cells(written, config, retry_failed=False, row=edited) == {}


def test_a_row_that_contradicts_itself_is_an_error(config: ScoreConfig) -> None:
    written = output_row(ROW, {"base": Success(-1.0), "t": Success(-2.0)}, config)
    written["base_policy_logprob"] = None
    assert error_of(stored_cells(written, ROW, config)) == "row 'r1': base is ok but has no log prob"


def test_a_row_written_before_scored_text_existed_is_compared_by_its_own_text(config: ScoreConfig) -> None:
    written = output_row(ROW, {"base": Success(-1.0), "t": Success(-2.0)}, config)
    del written["scored_text"]
    assert known_cells(written, config, retry_failed=False) == {"base": Success(-1.0), "t": Success(-2.0)}
    edited = InputRow(line=1, row_id="r1", prompt="q", response="b", fields={})
    assert known_cells(written, config, retry_failed=False, row=edited) == {}
