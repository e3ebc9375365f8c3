"""Fresh-draw and probe files: every problem by file, line, field and reason; unknown prompts counted."""

from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Success

from cje_fp.errors import sealed
from cje_fp.io import load_draw_directory, load_draw_file


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_problem_is_listed_with_its_line_field_and_kind(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t_responses.jsonl",
        '{"prompt_id": "a", "judge_score": 0.5, "draw_idx": 0}',
        '{"prompt_id": "a", "judge_score": 0.4, "draw_idx": 0}',
        '{"prompt_id": "b", "judge_score": 1.2}',
        '{"prompt_id": "c", "judge_score": 0.3, "oracle_label": -0.1}',
        '{"judge_score": 0.3}',
        '{"prompt_id": "d", "judge_score": "high"}',
        "not json",
        '{"prompt_id": "e", "judge_score": 0.3, "draw_idx": "x"}',
    )
    found: list[tuple[int, str, str]] = []
    match sealed(load_draw_file(path, "t")):
        case Failure(errors):
            found = [(p.line, p.field, p.kind) for p in errors.problems]
        case Success(table):
            raise AssertionError(f"loaded {table.n_rows} rows")
    assert found == [
        (2, "prompt_id", "duplicate_draw"),
        (3, "judge_score", "out_of_range"),
        (4, "oracle_label", "out_of_range"),
        (5, "prompt_id", "missing_field"),
        (6, "judge_score", "wrong_type"),
        (7, "<line>", "bad_json"),
        (8, "draw_idx", "wrong_type"),
    ]


def test_probe_rows_need_oracle_labels_and_unlogged_prompts_are_counted(tmp_path: Path) -> None:
    probe = _write(tmp_path / "t_probe.jsonl", '{"prompt_id": "a", "judge_score": 0.5}')
    assert load_draw_file(probe, "t", kind="probe").alt(lambda e: e.by_kind()) == Failure({"missing_oracle_label": 1})
    draws = _write(
        tmp_path / "t_responses.jsonl",
        '{"prompt_id": "a", "judge_score": 0.5, "draw_idx": 0}',
        '{"prompt_id": "a", "judge_score": 0.7, "draw_idx": 1}',
        '{"prompt_id": 7, "judge_score": 0.1}',
    )
    loaded = load_draw_file(draws, "t", logged_prompts={"a"})
    assert loaded.map(lambda t: (t.n_rows, t.prompt_ids, t.n_unlogged_prompts)) == Success((3, ("a", "a", "7"), 1))


def test_a_file_named_after_an_unknown_policy_is_a_problem(tmp_path: Path) -> None:
    _write(tmp_path / "t_responses.jsonl", '{"prompt_id": "a", "judge_score": 0.5}')
    _write(tmp_path / "base_responses.jsonl", '{"prompt_id": "a", "judge_score": 0.5, "oracle_label": 1.0}')
    _write(tmp_path / "typo_responses.jsonl", '{"prompt_id": "a", "judge_score": 0.5}')
    outcome = load_draw_directory(tmp_path, kind="fresh", policies=("t",), logged_prompts=None)
    match sealed(outcome):
        case Failure(errors):
            assert [(Path(e.path).name, e.problems[0].kind) for e in errors] == [("typo_responses.jsonl", "unknown_policy")]
        case Success(tables):
            raise AssertionError(sorted(tables))
    (tmp_path / "typo_responses.jsonl").unlink()
    again = load_draw_directory(tmp_path, kind="fresh", policies=("t",), logged_prompts=None)
    assert again.map(sorted) == Success(["base", "t"])


def test_response_lengths_are_kept_as_a_calibration_covariate(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "t_responses.jsonl",
        '{"prompt_id": "a", "judge_score": 0.5, "response": "four"}',
        '{"prompt_id": "b", "judge_score": 0.5}',
        '{"prompt_id": "c", "judge_score": 0.5, "response": null}',
        '{"prompt_id": "d", "judge_score": 0.5, "response": "caf\\u00e9", "extra": [1, 2]}',
    )
    loaded = load_draw_file(path, "t")
    assert loaded.map(lambda table: table.response_length.tolist()) == Success([4, 0, 0, 9])


def test_hostile_text_in_draws_and_probes_is_a_problem_on_its_line(tmp_path: Path) -> None:
    good = '{"prompt_id": "a", "prompt": "q", "response": "r", "judge_score": 0.5, "oracle_label": 0.5}'
    lines = [
        good.replace('"r"', '"r \xff"').encode("latin-1"),
        good.replace('"a"', '"\\ud800"').encode(),
        good.replace('"judge_score": 0.5', '"judge_score": 0.5, "judge_score": 0.9').encode(),
        good.replace('"q"', "[" * 50_000 + "]" * 50_000).encode(),
        good.replace('"a"', '"\xe9t\xe9"').encode("latin-1"),
    ]
    for kind, name in (("fresh", "t_responses.jsonl"), ("probe", "t_probe.jsonl")):
        path = tmp_path / name
        path.write_bytes(b"".join(line.replace(b'"a"', f'"{number}"'.encode()) + b"\n"
                                  for number, line in enumerate(lines, start=1)))
        found = load_draw_file(path, "t", kind="probe" if kind == "probe" else "fresh").alt(
            lambda errors: [(p.line, p.field, p.kind) for p in errors.problems]
        )
        assert found == Failure([
            (1, "response", "bad_json"),
            (2, "prompt_id", "invalid_text"),
            (3, "judge_score", "duplicate_key"),
            (4, "<line>", "bad_json"),
            (5, "prompt_id", "bad_json"),
        ])


def test_a_byte_order_mark_is_accepted_in_draws(tmp_path: Path) -> None:
    path = tmp_path / "t_responses.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"prompt_id": "a", "judge_score": 0.5}\n{"prompt_id": "b", "judge_score": 0.25}\n')
    assert load_draw_file(path, "t").map(lambda table: (table.prompt_ids, list(table.judge))) == Success(
        (("a", "b"), [0.5, 0.25])
    )
