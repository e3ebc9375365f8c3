"""``cje-fp import lm-eval`` and ``cje-fp import inspect``: other tools' logs into CJE JSONL that
``cje-fp score`` reads, every skipped record with its reason; the README's example files are the
ones these tests build."""

from __future__ import annotations

import json
from pathlib import Path

from returns.result import Failure, Success

from cje_fp.io import import_inspect, import_lm_eval, read_input
from tests.conftest import error_of, value_of
from tests.helpers import import_examples
from tests.helpers.cli import run_cli as cje_fp

LM_EVAL = import_examples.EXAMPLES / import_examples.LM_EVAL_NAME
INSPECT = import_examples.EXAMPLES / import_examples.INSPECT_NAME


def test_the_committed_examples_are_what_the_tests_build(tmp_path: Path) -> None:
    import_examples.write_examples(tmp_path)
    for name in (import_examples.LM_EVAL_NAME, import_examples.INSPECT_NAME):
        assert (tmp_path / name).read_text() == (import_examples.EXAMPLES / name).read_text(), (
            f"examples/imports/{name} is stale: run python -m tests.helpers.import_examples"
        )


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lm_eval_samples_become_rows_that_score_reads(tmp_path: Path) -> None:
    out = tmp_path / "gsm8k.jsonl"
    result = cje_fp(
        "import", "lm-eval", LM_EVAL, "--out", out,
        "--judge-field", "exact_match,flexible-extract", "--oracle-field", "exact_match,strict-match",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "imported 3 rows" in result.stdout and "skipped 1" in result.stdout
    assert "line 7: a log-likelihood request (multiple choice): no generated response" in result.stdout
    rows = _rows(out)
    assert [row["prompt_id"] for row in rows] == ["gsm8k:0", "gsm8k:1", "gsm8k:2"]
    assert [(row["judge_score"], row["oracle_label"]) for row in rows] == [(1.0, 1.0), (0.0, 0.0), (1.0, 0.0)]
    assert rows[0]["prompt"] == "Question: " + import_examples._QUESTIONS[0][0] + "\nAnswer:"
    assert rows[0]["response"] == " Let's think step by step. ... The answer is 72."  # the raw generation
    to_score = value_of(read_input(out))
    assert [row.row_id for row in to_score] == ["gsm8k:0", "gsm8k:1", "gsm8k:2"]


def test_lm_eval_metric_defaults_to_the_first_filter_and_the_older_layout_reads(tmp_path: Path) -> None:
    older = tmp_path / "samples_gsm8k.jsonl"
    with older.open("w") as handle:
        for line in import_examples.lm_eval_lines()[:6]:
            record = json.loads(line)
            first = record["arguments"]["gen_args_0"]
            record["arguments"] = [[first["arg_0"], first["arg_1"]]]
            handle.write(json.dumps(record) + "\n")
    imported = value_of(import_lm_eval(older, judge_metric="exact_match"))
    assert [row["judge_score"] for row in imported.rows] == [1.0, 0.0, 0.0]  # strict-match is first in the file
    assert imported.skipped == ()


def test_lm_eval_failures_are_reasons_not_rows(tmp_path: Path) -> None:
    failed = error_of(import_lm_eval(LM_EVAL, judge_metric="bleu"))
    assert failed.reason.startswith("no record could be imported") and "no metric 'bleu'" in failed.reason
    unnamed = tmp_path / "mine.jsonl"
    unnamed.write_text(LM_EVAL.read_text())
    assert "the task is not in the file name" in error_of(import_lm_eval(unnamed)).reason
    assert value_of(import_lm_eval(unnamed, task="gsm8k")).rows[0]["prompt_id"] == "gsm8k:0"
    result = cje_fp("import", "lm-eval", LM_EVAL, "--out", tmp_path / "x.jsonl", "--judge-field", "bleu")
    assert result.returncode == 1 and "no metric 'bleu'" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_inspect_json_and_eval_logs_give_the_same_rows(tmp_path: Path) -> None:
    archive = import_examples.write_eval_archive(tmp_path / "log.eval")
    from_json = value_of(import_inspect(INSPECT, judge_scorer="model_graded_qa", oracle_scorer="match"))
    from_eval = value_of(import_inspect(archive, judge_scorer="model_graded_qa", oracle_scorer="match"))
    assert from_json.rows == from_eval.rows
    assert [row["prompt_id"] for row in from_json.rows] == ["1", "2"]
    assert [(row["judge_score"], row["oracle_label"]) for row in from_json.rows] == [(0.9, 1.0), (0.4, 0.0)]
    second = from_json.rows[1]
    metadata = second["metadata"]
    assert isinstance(metadata, dict)
    assert (second["prompt"], second["response"], metadata["system_prompt"]) == ("Is water wet?", "Yes.", "Answer briefly.")
    reasons = [skip.describe() for skip in from_json.skipped]
    assert reasons == [
        "sample 3 (epoch 1): a multi-turn input (3 messages: ['user', 'assistant', 'user']); CJE scores one prompt per row",
        "sample 4 (epoch 1): the sample errored: RuntimeError: sandbox failed",
    ]


def test_inspect_cli_and_what_is_not_a_log(tmp_path: Path) -> None:
    out = tmp_path / "inspect.jsonl"
    result = cje_fp("import", "inspect", INSPECT, "--out", out, "--judge-field", "match")
    assert result.returncode == 0, result.stderr
    assert [row["judge_score"] for row in _rows(out)] == [1.0, 0.0]
    assert "oracle_label" not in _rows(out)[0]
    assert isinstance(read_input(out), Success)
    not_a_log = tmp_path / "other.json"
    not_a_log.write_text('{"results": {}}')
    assert isinstance(import_inspect(not_a_log), Failure)
    refused = cje_fp("import", "inspect", not_a_log, "--out", tmp_path / "y.jsonl")
    assert refused.returncode == 1 and "not an Inspect eval log" in refused.stderr
    missing = cje_fp("import", "inspect", tmp_path / "absent.json", "--out", tmp_path / "y.jsonl")
    assert missing.returncode == 2


def test_json_nested_too_deeply_is_an_import_failure_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    samples = tmp_path / "samples_task_2024.jsonl"
    samples.write_text('{"doc_id": 1, "x": ' + deep + "}\n")
    log = tmp_path / "log.json"
    log.write_text('{"samples": ' + deep + "}\n")
    assert "nested too deeply" in import_lm_eval(samples).alt(lambda failed: failed.reason).swap().value_or("")
    assert "RecursionError" in import_inspect(log).alt(lambda failed: failed.reason).swap().value_or("")
