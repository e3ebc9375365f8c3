"""Hostile JSON text, run through ``validate``, ``estimate`` and ``score`` as real commands: each one names the
line and field in one paragraph and exits 1, never a traceback; a byte order mark is accepted by all three."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.scoring import write_tabular_config

PROMPTS = [f"question {index}" for index in range(3)]
RESPONSES = [f"answer {index}" for index in range(3)]


def _line(index: int) -> bytes:
    row = {
        "prompt": PROMPTS[index],
        "response": RESPONSES[index],
        "base_policy_logprob": -10.0,
        "target_policy_logprobs": {"t": -11.0},
        "judge_score": 0.5,
        "prompt_id": f"p{index}",
    }
    return json.dumps(row).encode()


def _replaced(old: bytes, new: bytes) -> bytes:
    line = _line(1)
    assert old in line
    return line.replace(old, new)


# (name, the text of line 2, what the error names: "line 2: field: kind")
HOSTILE: list[tuple[str, bytes, str]] = [
    ("invalid UTF-8 in the response", _replaced(b'"answer 1"', b'"answer \xff 1"'), "line 2: response: bad_json"),
    ("Latin-1 text in the prompt", _replaced(b'"question 1"', b'"question caf\xe9"'), "line 2: prompt: bad_json"),
    ("invalid UTF-8 in a key", _replaced(b'"judge_score"', b'"judge_\xffscore"'), "line 2: <line>: bad_json"),
    ("a lone surrogate in the response", _replaced(b'"answer 1"', b'"answer \\ud800 1"'),
     "line 2: response: invalid_text"),
    ("a lone surrogate in the prompt", _replaced(b'"question 1"', b'"question \\udc00"'), "line 2: prompt: invalid_text"),
    ("nested 100,000 deep", _replaced(b'"judge_score"', b'"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b', "judge_score"'),
     "line 2: <line>: bad_json"),
    ("a repeated key", _replaced(b'"judge_score": 0.5', b'"judge_score": 0.5, "judge_score": 0.9'),
     "line 2: judge_score: duplicate_key"),
    ("a repeated prompt", _replaced(b'"response"', b'"prompt": "other", "response"'), "line 2: prompt: duplicate_key"),
    ("a repeated target", _replaced(b'{"t": -11.0}', b'{"t": -11.0, "t": -1.0}'),
     "line 2: target_policy_logprobs.t: duplicate_key"),
    ("a repeated metadata key", _replaced(b'"judge_score"', b'"metadata": {"prompt_id": "a", "prompt_id": "b"}, "judge_score"'),
     "line 2: metadata.prompt_id: duplicate_key"),
]


def _files(folder: Path, second_line: bytes, *, bom: bool = False) -> tuple[Path, Path]:
    data = folder / "data.jsonl"
    data.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\n".join([_line(0), second_line, _line(2)]) + b"\n")
    tables = {
        name: {prompt: {response: value} for prompt, response in zip(PROMPTS, RESPONSES, strict=True)}
        for name, value in (("base", -10.0), ("t", -11.0))
    }
    return write_tabular_config(folder, tables), data


def _run(command: str, config: Path, data: Path) -> subprocess.CompletedProcess[str]:
    match command:
        case "validate":
            return run_cli("validate", data)
        case "estimate":
            return run_cli("estimate", data)
        case _:
            return run_cli("score", config, data, "--out", data.parent / "scored.jsonl")


@pytest.mark.parametrize("command", ["validate", "estimate", "score"])
@pytest.mark.parametrize(("name", "line", "expected"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_text_is_invalid_data_named_by_line_and_field(
    tmp_path: Path, command: str, name: str, line: bytes, expected: str
) -> None:
    config, data = _files(tmp_path, line)
    result = _run(command, config, data)
    output = result.stdout + result.stderr
    assert result.returncode == 1, f"{name}: {output}"
    assert "Traceback" not in output
    assert expected in output, output
    assert not (tmp_path / "scored.jsonl").exists()


@pytest.mark.parametrize("command", ["validate", "estimate", "score"])
def test_a_byte_order_mark_is_accepted_everywhere(tmp_path: Path, command: str) -> None:
    config, data = _files(tmp_path, _line(1), bom=True)
    result = _run(command, config, data)
    assert result.returncode == 0, result.stdout + result.stderr
    if command == "score":
        rows = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text().splitlines()]
        assert [row["prompt_id"] for row in rows] == ["p0", "p1", "p2"]
        assert [row["target_policy_logprobs"]["t"] for row in rows] == [-11.0] * 3
    if command == "validate":
        assert "OK: 3 rows" in result.stdout
