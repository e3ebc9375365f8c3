"""Loading CJE JSONL: every bad row reported with line/field/kind, lenient mode counts drops."""

from __future__ import annotations

import json
import math
from pathlib import Path

from cje_fp.io import find_problems, load_dataset
from tests.helpers.jsonl import logged_row, write_lines
from tests.helpers.optional import arena_dir
from tests.helpers.results import error_of, value_of


def test_arena_loads_with_every_column() -> None:
    data = value_of(load_dataset(arena_dir() / "logged_data.jsonl"))
    assert data.n_rows == 1000
    assert data.target_names == ("clone", "parallel_universe_prompt", "unhelpful")
    assert data.n_oracle == 480
    assert bool(data.judge.present.all())
    assert data.prompt_ids[0] == "arena_1574"
    assert data.lines[0] == 1 and data.lines[-1] == 1000
    assert all(data.usable_mask(name).all() for name in data.target_names)
    assert find_problems(arena_dir() / "logged_data.jsonl") == ()


def test_every_problem_is_reported_with_line_field_and_kind(tmp_path: Path) -> None:
    lines = [
        json.dumps(logged_row(0)),
        "{not json",
        json.dumps(logged_row(2, base_policy_logprob=0.5)),
        json.dumps(logged_row(3, target_policy_logprobs={"t1": 1e-9, "t2": -1.0})),
        json.dumps(logged_row(4, judge_score=7.0)),
        json.dumps(logged_row(5, oracle_label=-0.1)),
        json.dumps(logged_row(6, metadata={"prompt_id": "p0"})),
        json.dumps(logged_row(7, judge_score="high")),
        json.dumps({k: v for k, v in logged_row(8).items() if k != "response"}),
        (
            '{"prompt": "q9", "response": "r", "base_policy_logprob": NaN, '
            '"target_policy_logprobs": {"t1": -1.0}, "metadata": {"prompt_id": "p9"}}'
        ),
        "[1, 2]",
        "",
        json.dumps(logged_row(12, target_policy_logprobs={"t1": -1.0, "t2": -math.inf})),
    ]
    problems = find_problems(write_lines(tmp_path / "bad.jsonl", lines))
    seen = {(p.line, p.field, p.kind) for p in problems}
    assert seen == {
        (2, "<line>", "bad_json"),
        (3, "base_policy_logprob", "invalid_log_prob"),
        (4, "target_policy_logprobs.t1", "invalid_log_prob"),
        (5, "judge_score", "out_of_range"),
        (6, "oracle_label", "out_of_range"),
        (7, "prompt_id", "duplicate_prompt_id"),
        (8, "judge_score", "wrong_type"),
        (9, "response", "missing_field"),
        (10, "base_policy_logprob", "invalid_log_prob"),
        (11, "<line>", "not_an_object"),
        (13, "target_policy_logprobs.t2", "invalid_log_prob"),
    }
    reasons = {p.line: p.reason for p in problems}
    assert reasons[10] == "NaN" and "already on line 1" in reasons[7]
    strict = error_of(load_dataset(tmp_path / "bad.jsonl"))
    assert strict.n_bad_rows == 11 and strict.n_lines == 13
    lenient = value_of(load_dataset(tmp_path / "bad.jsonl", strict=False))
    # a bad log prob costs its cell, not the row: lines 3, 4, 10 and 13 stay
    assert lenient.lines.tolist() == [1, 3, 4, 10, 13]
    assert sum(lenient.dropped.values()) == 7 and "invalid_log_prob" not in lenient.dropped
    assert len(lenient.problems) == 11
    exclusions = lenient.exclusions("t1")
    assert exclusions["base_log_prob:invalid_log_prob"] == 2  # lines 3 and 10: every policy loses them
    assert exclusions["target_log_prob:invalid_log_prob"] == 1  # line 4
    assert lenient.usable_mask("t1").tolist() == [True, False, False, False, True]
    assert lenient.usable_mask("t2").tolist() == [True, False, True, False, False]


def test_a_bad_target_log_prob_costs_the_row_for_that_policy_only(tmp_path: Path) -> None:
    lines = [
        json.dumps(logged_row(0)),
        json.dumps(logged_row(1, target_policy_logprobs={"t1": 1e-9, "t2": -1.0})),  # rounding noise
        json.dumps(logged_row(2, target_policy_logprobs={"t1": -1.0, "t2": "x"})),
        json.dumps(logged_row(3, target_policy_logprobs={"t1": -1.0, "t2": True})),
    ]
    path = write_lines(tmp_path / "noise.jsonl", lines)
    problems = find_problems(path)
    assert [(p.line, p.field, p.kind) for p in problems] == [
        (2, "target_policy_logprobs.t1", "invalid_log_prob"),
        (3, "target_policy_logprobs.t2", "wrong_type"),
        (4, "target_policy_logprobs.t2", "wrong_type"),
    ]
    assert error_of(load_dataset(path)).n_bad_rows == 3  # strict still fails
    data = value_of(load_dataset(path, strict=False))
    assert data.n_rows == 4 and dict(data.dropped) == {} and data.problems == problems
    assert data.usable_mask("t1").tolist() == [True, False, True, True]
    assert data.usable_mask("t2").tolist() == [True, True, False, False]
    assert dict(data.exclusions("t1")) == {"target_log_prob:invalid_log_prob": 1}
    assert dict(data.exclusions("t2")) == {"target_log_prob:wrong_type": 2}
    only_t2 = value_of(load_dataset(path, strict=False, targets=["t2"]))
    assert only_t2.n_rows == 4 and only_t2.usable_mask("t2").tolist() == [True, True, False, False]


def test_scores_read_from_metadata_are_reported_under_metadata(tmp_path: Path) -> None:
    fast = {**logged_row(1), "judge_score": None, "metadata": {"prompt_id": "p1", "judge_score": 2.0}}
    slow = {k: v for k, v in logged_row(2).items() if k != "judge_score"}
    slow["metadata"] = {"prompt_id": "p2", "judge_score": -0.5, "oracle_label": "yes"}
    lines = [json.dumps(logged_row(0)), json.dumps(fast), json.dumps(slow), json.dumps(logged_row(3, judge_score=3.0))]
    problems = {(p.line, p.field, p.kind) for p in find_problems(write_lines(tmp_path / "meta.jsonl", lines))}
    assert problems == {
        (2, "metadata.judge_score", "out_of_range"),
        (3, "metadata.judge_score", "out_of_range"),
        (3, "metadata.oracle_label", "wrong_type"),
        (4, "judge_score", "out_of_range"),
    }


def test_numbers_beyond_the_float_range_are_values_not_types(tmp_path: Path) -> None:
    template = (
        '{{"prompt": "q{i}", "response": "r", "base_policy_logprob": {base}, '
        '"target_policy_logprobs": {{"t": {target}}}, "judge_score": {judge}, "prompt_id": "p{i}"}}'
    )
    lines = [
        template.format(i=0, base="-1.0", target="-1.0", judge="0.5"),
        template.format(i=1, base="-1.0", target="-1.0", judge="1e999"),
        template.format(i=2, base="-1e999", target="-1.0", judge="0.5"),
        template.format(i=3, base="-1.0", target="1e999", judge="0.5"),
    ]
    problems = {(p.line, p.field, p.kind) for p in find_problems(write_lines(tmp_path / "huge.jsonl", lines))}
    assert problems == {
        (2, "judge_score", "out_of_range"),
        (3, "base_policy_logprob", "invalid_log_prob"),
        (4, "target_policy_logprobs.t", "invalid_log_prob"),
    }


def test_null_log_prob_excludes_the_row_for_that_policy_only(tmp_path: Path) -> None:
    lines = [
        json.dumps(logged_row(0)),
        json.dumps(logged_row(1, target_policy_logprobs={"t1": None, "t2": -1.0})),
        json.dumps(logged_row(2, target_policy_logprobs={"t2": -1.0})),
        json.dumps(logged_row(3, base_policy_logprob=None)),
    ]
    data = value_of(load_dataset(write_lines(tmp_path / "nulls.jsonl", lines)))
    assert data.usable_mask("t1").tolist() == [True, False, False, False]
    assert data.usable_mask("t2").tolist() == [True, True, True, False]
    assert dict(data.exclusions("t1")) == {
        "base_log_prob:null": 1, "target_log_prob:null": 1, "target_log_prob:absent": 1,
    }
    assert dict(data.exclusions("t2")) == {"base_log_prob:null": 1}


def test_extras_metadata_fallbacks_and_prompt_hash(tmp_path: Path) -> None:
    lines = [
        json.dumps(logged_row(0, model="m-a", metadata={"prompt_id": 17, "judge_score": 0.25, "tokens": 12})),
        json.dumps({k: v for k, v in logged_row(1, model="m-b").items() if k != "metadata"}),
    ]
    data = value_of(load_dataset(write_lines(tmp_path / "extras.jsonl", lines)))
    assert data.prompt_ids[0] == "17"
    assert data.prompt_ids[1].startswith("prompt_") and len(data.prompt_ids[1]) == 19
    assert data.judge.values[0] == 0.5  # top level wins over metadata
    assert data.extras["model"] == (b'"m-a"', b'"m-b"')
    assert data.extras["metadata.tokens"] == (b"12", None)


def test_repeated_prompts_form_clusters_when_asked(tmp_path: Path) -> None:
    lines = [json.dumps(logged_row(i, metadata={"prompt_id": f"p{i % 2}"})) for i in range(4)]
    path = write_lines(tmp_path / "repeat.jsonl", lines)
    assert error_of(load_dataset(path)).by_kind() == {"duplicate_prompt_id": 2}
    data = value_of(load_dataset(path, repeated_prompts="cluster"))
    assert data.clusters.tolist() == [0, 1, 0, 1]


def test_unreadable_and_empty_files_fail_even_when_lenient(tmp_path: Path) -> None:
    missing = error_of(load_dataset(tmp_path / "absent.jsonl", strict=False))
    assert missing.problems[0].kind == "unreadable_file"
    empty = error_of(load_dataset(write_lines(tmp_path / "empty.jsonl", [""]), strict=False))
    assert empty.problems[0].kind == "empty_file"


def test_an_extra_string_is_kept_as_written_not_decoded_as_base64(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "logs.jsonl", [
        json.dumps(logged_row(0, note="plain words")),
        json.dumps(logged_row(1, note="aGVsbG8=")),
        json.dumps(logged_row(2, note=5)),
        json.dumps(logged_row(3, note="abcd")),
    ])
    assert value_of(load_dataset(path)).extras["note"] == (b'"plain words"', b'"aGVsbG8="', b"5", b'"abcd"')


def test_a_byte_order_mark_alone_on_the_first_line_is_a_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "logs.jsonl"
    path.write_bytes(b"\xef\xbb\xbf\n" + json.dumps(logged_row(0)).encode() + b"\n")
    assert find_problems(path) == ()
    assert value_of(load_dataset(path)).lines.tolist() == [2]
