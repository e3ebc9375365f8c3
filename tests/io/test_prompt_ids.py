"""The prompt-id rule is one rule: ``load_dataset`` and ``read_input`` derive and refuse the same ids."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cje_fp.io import hashed_prompt_id, load_dataset, read_input
from cje_fp.io._prompt_ids import BadPromptId, prompt_id_of
from tests.helpers.results import error_of, value_of

_LOGGED = {"base_policy_logprob": -1.0, "target_policy_logprobs": {"t": -1.0}}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"prompt_id": "top"}, "top"),
        ({"prompt_id": 17}, "17"),
        ({"metadata": {"prompt_id": "nested"}}, "nested"),
        ({"prompt_id": "top", "metadata": {"prompt_id": "nested"}}, "top"),
        ({}, hashed_prompt_id("the prompt")),
    ],
)
def test_both_readers_derive_the_same_id(tmp_path: Path, fields: dict[str, Any], expected: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"prompt": "the prompt", "response": "r", **_LOGGED, **fields}) + "\n")
    assert value_of(load_dataset(path)).prompt_ids == (expected,)
    assert [row.row_id for row in value_of(read_input(path))] == [expected]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"prompt_id": True}, "prompt_id"),
        ({"prompt_id": 1.5}, "prompt_id"),
        ({"prompt_id": None}, "prompt_id"),
        ({"prompt_id": ""}, "prompt_id"),
        ({"metadata": {"prompt_id": ["a"]}}, "metadata.prompt_id"),
    ],
)
def test_both_readers_refuse_the_same_bad_ids(tmp_path: Path, fields: dict[str, Any], field: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"prompt": "p", "response": "r", **_LOGGED, **fields}) + "\n")
    loaded = error_of(load_dataset(path)).problems
    read = error_of(read_input(path)).problems
    assert [(problem.line, problem.field, problem.kind) for problem in loaded] == [(1, field, "wrong_type")]
    assert [(problem.line, problem.field, problem.kind) for problem in read] == [(1, field, "wrong_type")]


def test_a_repeated_id_is_reported_on_its_later_line_by_both(tmp_path: Path) -> None:
    row = json.dumps({"prompt": "p", "response": "r", "prompt_id": "same", **_LOGGED})
    path = tmp_path / "rows.jsonl"
    path.write_text(f"{row}\n\n{row}\n")
    for problems in (error_of(load_dataset(path)).problems, error_of(read_input(path)).problems):
        assert [problem.describe() for problem in problems] == [
            "line 3: prompt_id: duplicate_prompt_id: 'same' already on line 1"
        ]


def test_the_rule_on_python_values() -> None:
    assert prompt_id_of({"prompt_id": 0}, {}, "p") == "0"
    assert prompt_id_of({}, {"prompt_id": ""}, "p") == BadPromptId(field="prompt_id", reason="prompt_id is empty")
