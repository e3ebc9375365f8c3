"""Parity with ``cje analyze``: ``--judge-field``, ``--oracle-field``, ``-o/--output``, ``--quiet``."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import run_cli as cje_fp
from tests.helpers.scored_files import write_scored_file


def _renamed(source: Path, target: Path) -> Path:
    """The same rows with the judge score in ``metadata.score_a`` and the oracle label in ``human``."""
    with target.open("w") as handle:
        for line in source.read_text().splitlines():
            row = json.loads(line)
            row["metadata"] = {"score_a": row.pop("judge_score")}
            row["human"] = row.pop("oracle_label")
            handle.write(json.dumps(row) + "\n")
    return target


def test_judge_and_oracle_fields_name_other_columns(tmp_path: Path) -> None:
    standard = write_scored_file(tmp_path / "standard.jsonl", n=300)
    renamed = _renamed(standard, tmp_path / "renamed.jsonl")
    expected, got = tmp_path / "expected.json", tmp_path / "got.json"
    assert cje_fp("estimate", standard, "--target", "close", "--json", expected).returncode == 0
    result = cje_fp(
        "estimate", renamed, "--target", "close", "--judge-field", "score_a", "--oracle-field", "human", "-o", got
    )
    assert result.returncode == 0, result.stderr
    first, second = json.loads(expected.read_text()), json.loads(got.read_text())
    assert first["estimates"] == second["estimates"]
    assert second["provenance"]["config"]["judge_field"] == "score_a"
    assert second["provenance"]["config"]["oracle_field"] == "human"
    without = cje_fp("estimate", renamed, "--target", "close", "--estimator", "calibrated-ips")
    assert without.returncode != 0  # the default field names find no judge scores there


def test_output_long_form_and_quiet(tmp_path: Path) -> None:
    scored = write_scored_file(tmp_path / "scored.jsonl", n=200)
    report = tmp_path / "out" / "report.json"
    result = cje_fp("estimate", scored, "--target", "close", "--output", report, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert json.loads(report.read_text())["estimates"]["close"]["snips"]["status"] == "ok"
    refused = cje_fp("estimate", scored, "--quiet")
    assert refused.returncode == 1 and refused.stdout == ""  # the exit code still says "refused"
