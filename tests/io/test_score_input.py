"""``read_input``: the rows ``score`` reads keep every field, and every bad row is reported by line."""

from __future__ import annotations

import math
from pathlib import Path

from cje_fp.io import hashed_prompt_id, read_input
from tests.helpers.jsonl import write_lines
from tests.helpers.results import error_of, value_of


def test_every_field_is_kept_as_read(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "rows.jsonl",
        ['{"prompt": "q", "response": "a", "judge_score": 0.5, "metadata": {"prompt_id": 7, "tags": ["x"]}, "big": 1e999}'],
    )
    (row,) = value_of(read_input(path))
    assert (row.line, row.row_id, row.prompt, row.response) == (1, "7", "q", "a")
    assert row.fields["metadata"] == {"prompt_id": 7, "tags": ["x"]}
    assert row.fields["judge_score"] == 0.5 and math.isinf(row.fields["big"])


def test_every_bad_row_is_reported_with_line_field_and_kind(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "rows.jsonl",
        [
            '{"prompt": "q1", "response": "a"}',
            "{not json",
            "[1, 2]",
            '{"prompt": 3, "response": "a"}',
            '{"response": "a"}',
            '{"prompt": "q6", "response": "a", "metadata": {"prompt_id": true}}',
        ],
    )
    problems = error_of(read_input(path)).problems
    assert [(problem.line, problem.field, problem.kind) for problem in problems] == [
        (2, "<line>", "bad_json"),
        (3, "<line>", "not_an_object"),
        (4, "prompt", "wrong_type"),
        (5, "prompt", "missing_field"),
        (6, "metadata.prompt_id", "wrong_type"),
    ]


def test_empty_and_missing_files_are_file_problems(tmp_path: Path) -> None:
    empty = write_lines(tmp_path / "empty.jsonl", ["", "   "])
    assert [problem.kind for problem in error_of(read_input(empty)).problems] == ["empty_file"]
    missing = error_of(read_input(tmp_path / "absent.jsonl"))
    assert [problem.kind for problem in missing.problems] == ["unreadable_file"]


def test_score_and_load_derive_the_same_id_for_a_row_without_one(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"prompt": "hello", "response": "a"}\n')
    assert [row.row_id for row in value_of(read_input(path))] == [hashed_prompt_id("hello")]
