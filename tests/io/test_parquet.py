"""Parquet in and out: ``load_dataset`` reads ``.parquet`` with the same problem reports as JSONL;
``cje-fp score --out x.parquet`` writes Parquet at the end from a resumable JSONL journal."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cje_fp.data import Dataset
from cje_fp.io import find_problems, load_dataset
from cje_fp.io._parquet import write_parquet
from cje_fp.testing import FakeServer, FakeServerConfig, fault_marker
from tests.conftest import error_of, value_of
from tests.helpers.cli import run_cli as cje_fp
from tests.helpers.optional import ROOT
from tests.helpers.scored_files import write_scored_file


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _assert_same(first: Dataset, second: Dataset) -> None:
    assert first.prompt_ids == second.prompt_ids and first.target_names == second.target_names
    for name in first.target_names:
        np.testing.assert_array_equal(first.targets[name].values, second.targets[name].values)
        np.testing.assert_array_equal(first.targets[name].codes, second.targets[name].codes)
    for column in ("base", "judge", "oracle"):
        np.testing.assert_array_equal(getattr(first, column).values, getattr(second, column).values)
        np.testing.assert_array_equal(getattr(first, column).present, getattr(second, column).present)


def test_a_parquet_file_loads_as_its_jsonl(tmp_path: Path) -> None:
    jsonl = write_scored_file(tmp_path / "scored.jsonl", n=200)
    parquet = tmp_path / "scored.parquet"
    write_parquet(parquet, _rows(jsonl))
    _assert_same(value_of(load_dataset(parquet)), value_of(load_dataset(jsonl)))


def test_a_parquet_file_gets_the_same_problem_reports(tmp_path: Path) -> None:
    def row(i: int, **changes: object) -> dict[str, object]:
        base: dict[str, object] = {
            "prompt_id": f"p{i}", "prompt": f"q{i}", "response": "r", "base_policy_logprob": -2.0,
            "target_policy_logprobs": {"t": -1.5, "u": -2.5}, "judge_score": 0.5, "oracle_label": None,
        }  # fmt: skip
        return base | changes

    rows = [
        row(1),
        row(2, base_policy_logprob=math.nan),
        row(3, target_policy_logprobs={"t": 0.5, "u": -1.0}),
        row(4, judge_score=1.7),
        row(5, response=None),
        row(1),  # a repeated prompt id
        row(7, target_policy_logprobs={"t": None, "u": -1.0}),
    ]
    jsonl = tmp_path / "bad.jsonl"
    jsonl.write_text("".join(json.dumps(item) + "\n" for item in rows))
    parquet = tmp_path / "bad.parquet"
    write_parquet(parquet, rows)
    problems = find_problems(parquet)
    assert {problem.kind for problem in problems} >= {"invalid_log_prob", "out_of_range", "duplicate_prompt_id"}
    assert problems == find_problems(jsonl)
    strict = error_of(load_dataset(parquet))
    assert strict.problems == error_of(load_dataset(jsonl)).problems
    _assert_same(value_of(load_dataset(parquet, strict=False)), value_of(load_dataset(jsonl, strict=False)))


def test_an_unreadable_parquet_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    fake = tmp_path / "not.parquet"
    fake.write_text('{"prompt": "q"}\n')
    problem = error_of(load_dataset(fake)).problems[0]
    assert problem.kind == "unreadable_file" and "Parquet" in problem.reason


def test_without_pyarrow_the_problem_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parquet = tmp_path / "scored.parquet"
    write_parquet(parquet, _rows(write_scored_file(tmp_path / "scored.jsonl", n=20)))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    problem = error_of(load_dataset(parquet)).problems[0]
    assert problem.kind == "unreadable_file"
    assert 'pip install "cje-fp[parquet]"' in problem.reason


def test_score_writes_parquet_at_the_end_and_the_journal_stays_jsonl(tmp_path: Path) -> None:
    rows = [
        {"prompt": f"Question {i}?", "response": f"Answer {i}." + (fault_marker("context_length") if i == 3 else ""),
         "prompt_id": f"q{i}", "judge_score": 0.5, "metadata": {"topic": "a" if i % 2 else "b"}}
        for i in range(12)
    ]  # fmt: skip
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(item) + "\n" for item in rows))
    with FakeServer(FakeServerConfig(models=("m-base", "m-t"))) as server:
        config = tmp_path / "config.toml"
        config.write_text(
            f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\ntemplate = "chatml"\n'
            '[policies.base]\nmodel = "m-base"\n[policies.t]\nmodel = "m-t"\n'
        )
        out = tmp_path / "scored.parquet"
        result = cje_fp("score", config, data, "--out", out)
    assert result.returncode == 0, result.stderr
    journal = tmp_path / "scored.journal.jsonl"
    assert journal.is_file() and out.is_file()
    assert f"wrote {out}" in result.stdout.replace("\n", "")
    from_parquet, from_journal = value_of(load_dataset(out)), value_of(load_dataset(journal))
    _assert_same(from_parquet, from_journal)
    assert from_parquet.targets["t"].excluded_by_reason() == {"token_limit_exceeded": 1}  # the failure's kind kept
    validated = subprocess.run(
        [sys.executable, "-m", "cje_fp.cli", "validate", str(out)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
