"""``cje-fp validate`` on a corpus of malformed files: each problem on its own line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.optional import arena_dir


def _row(index: int, **changes: object) -> str:
    row: dict[str, object] = {
        "prompt": f"question {index}",
        "response": f"answer {index}",
        "base_policy_logprob": -10.0,
        "target_policy_logprobs": {"t": -11.0, "u": -9.5},
        "judge_score": 0.5,
        "oracle_label": 1.0,
        "prompt_id": f"p{index}",
    }
    row.update(changes)
    return json.dumps(row)


def _without(index: int, field: str) -> str:
    row = json.loads(_row(index))
    del row[field]
    return json.dumps(row)


# (name, the bad line's text, where it goes (1-based), expected "line N: field: kind")
CORPUS: list[tuple[str, str, int, str]] = [
    ("truncated JSON", '{"prompt": "q", "response":', 3, "line 3: <line>: bad_json"),
    ("not an object", "[1, 2, 3]", 2, "line 2: <line>: not_an_object"),
    ("a bare string", '"hello"', 4, "line 4: <line>: not_an_object"),
    ("missing prompt", _without(3, "prompt"), 3, "line 3: prompt: missing_field"),
    ("missing response", _without(5, "response"), 5, "line 5: response: missing_field"),
    ("prompt is a number", _row(3, prompt=42), 3, "line 3: prompt: wrong_type"),
    ("positive base log prob", _row(2, base_policy_logprob=0.5), 2, "line 2: base_policy_logprob: invalid_log_prob"),
    ("NaN base log prob", _row(2).replace("-10.0", "NaN"), 2, "line 2: base_policy_logprob: invalid_log_prob"),
    ("infinite base log prob", _row(6).replace("-10.0", "-Infinity"), 6, "line 6: base_policy_logprob: invalid_log_prob"),
    ("base log prob as text", _row(3, base_policy_logprob="-1"), 3, "line 3: base_policy_logprob: wrong_type"),
    ("positive target log prob", _row(4, target_policy_logprobs={"t": 1e-9, "u": -1.0}), 4,
     "line 4: target_policy_logprobs.t: invalid_log_prob"),
    ("target log prob as text", _row(3, target_policy_logprobs={"t": -1.0, "u": "low"}), 3,
     "line 3: target_policy_logprobs.u: wrong_type"),
    ("target log probs not an object", _row(2, target_policy_logprobs=[-1.0]), 2,
     "line 2: target_policy_logprobs: wrong_type"),
    ("judge above one", _row(5, judge_score=1.5), 5, "line 5: judge_score: out_of_range"),
    ("judge below zero", _row(2, judge_score=-0.1), 2, "line 2: judge_score: out_of_range"),
    ("judge on a 0-10 scale under metadata", _row(3, judge_score=None, metadata={"judge_score": 7}), 3,
     "line 3: metadata.judge_score: out_of_range"),
    ("judge as a boolean", _row(4, judge_score=True), 4, "line 4: judge_score: wrong_type"),
    ("oracle above one", _row(3, oracle_label=2.0), 3, "line 3: oracle_label: out_of_range"),
    ("oracle NaN", _row(2).replace('"oracle_label": 1.0', '"oracle_label": NaN'), 2, "line 2: oracle_label: out_of_range"),
    ("prompt id as a list", _row(3, prompt_id=[1]), 3, "line 3: prompt_id: wrong_type"),
    ("duplicate prompt id", _row(4, prompt_id="p1"), 4, "line 4: prompt_id: duplicate_prompt_id"),
]


def _write(folder: Path, bad_line: str, position: int, total: int = 6) -> Path:
    lines = [_row(index) for index in range(1, total + 1)]
    lines[position - 1] = bad_line
    path = folder / "data.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("name", "bad_line", "position", "expected"), CORPUS, ids=[case[0] for case in CORPUS])
def test_each_malformed_file_is_reported_on_the_right_line(
    tmp_path: Path, name: str, bad_line: str, position: int, expected: str
) -> None:
    result = run_cli("validate", _write(tmp_path, bad_line, position))
    assert result.returncode == 1, result.stdout
    reported = [line for line in result.stdout.splitlines() if line.startswith("line ")]
    assert len(reported) == 1, reported
    assert reported[0].startswith(expected), reported


def test_every_problem_of_a_file_is_listed(tmp_path: Path) -> None:
    lines = [_row(1), _row(2, judge_score=3.0), "", _row(4, base_policy_logprob=1.0, oracle_label=-1.0), "{oops"]
    path = tmp_path / "many.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_cli("validate", path)
    assert result.returncode == 1
    reported = [line.split(":")[0] + ":" + line.split(":")[1] for line in result.stdout.splitlines() if line.startswith("line ")]
    assert reported == [
        "line 2: judge_score",
        "line 4: base_policy_logprob",
        "line 4: oracle_label",
        "line 5: <line>",
    ]
    assert "4 problem(s) in 3 row(s)" in result.stdout


@pytest.mark.parametrize(
    ("content", "expected"),
    [("", "line 0: <file>: empty_file"), ("\n\n", "line 0: <file>: empty_file")],
)
def test_file_level_problems(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text(content)
    result = run_cli("validate", path)
    assert result.returncode == 1
    assert expected in result.stdout


def test_a_clean_file_passes_and_counts_null_log_probs(tmp_path: Path) -> None:
    lines = [_row(1), _row(2, target_policy_logprobs={"t": None, "u": -1.0}), _row(3)]
    path = tmp_path / "clean.jsonl"
    path.write_text("\n".join(lines) + "\n")
    result = run_cli("validate", path)
    assert result.returncode == 0, result.stdout
    assert "OK: 3 rows" in result.stdout
    assert "t: 2 usable rows; excluded: target_log_prob:null=1" in result.stdout


def test_validate_accepts_the_arena_sample() -> None:
    result = run_cli("validate", arena_dir() / "logged_data.jsonl")
    assert result.returncode == 0, result.stdout
    assert "OK: 1000 rows" in result.stdout and "480 oracle labels" in result.stdout
