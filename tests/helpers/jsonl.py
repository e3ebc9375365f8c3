"""Writing small CJE JSONL files for tests: a valid logged row with overrides, lines to a file."""

from __future__ import annotations

from pathlib import Path


def logged_row(index: int, **overrides: object) -> dict[str, object]:
    """A valid logged row (two targets, a judge score, an id under metadata), with fields replaced."""
    record: dict[str, object] = {
        "prompt": f"q{index}",
        "response": "a" * (index + 1),
        "base_policy_logprob": -1.0 - index,
        "target_policy_logprobs": {"t1": -2.0, "t2": -3.0},
        "judge_score": 0.5,
        "metadata": {"prompt_id": f"p{index}"},
    }
    record.update(overrides)
    return record


def write_lines(path: Path, lines: list[str]) -> Path:
    """``lines`` joined by newlines, with a final newline; returns ``path``."""
    path.write_text("\n".join(lines) + "\n")
    return path
