"""Reading the rows to score: ids derived the same way as when loading a scored file."""

from __future__ import annotations

from pathlib import Path

from cje_fp.io._jsonl import hashed_prompt_id
from cje_fp.io._score_input import read_input
from tests.helpers.results import value_of


def test_score_and_load_derive_the_same_id_for_a_row_without_one(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"prompt": "hello", "response": "a"}\n')
    assert [row.row_id for row in value_of(read_input(path))] == [hashed_prompt_id("hello")]
