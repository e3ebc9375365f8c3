"""``cje-fp estimate`` with fresh draws, driven in subprocesses on the arena sample and on broken files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers.cli import run_cli as cje_fp
from tests.helpers.optional import arena_dir


def test_estimate_discovers_fresh_draws_and_auto_picks_stacked_dr(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = cje_fp("estimate", arena_dir() / "logged_data.jsonl", "--json", out)
    assert result.returncode == 0, result.stderr  # unhelpful is refused: a refusal is a result
    assert "fresh draws from" in result.stdout and "probe slices from" in result.stdout
    report = json.loads(out.read_text())["fresh"]
    assert report["estimator_choice"] == {"requested": ["auto"], "used": ["stacked-dr"]}
    fresh = report["estimates"]
    assert fresh["unhelpful"]["stacked-dr"]["kind"] == "calibration_does_not_transport"
    assert fresh["unhelpful"]["stacked-dr"]["audit"]["status"] == "FAIL"
    clone = fresh["clone"]["stacked-dr"]
    assert clone["status"] == "ok" and clone["transport"]["status"] in ("PASS", "INCONCLUSIVE")
    assert clone["boundary"]["status"] == "PASS" and "outcome_r2_out_of_fold" in clone["dr"]


def test_probe_correction_answers_for_unhelpful() -> None:
    result = cje_fp("estimate", arena_dir() / "logged_data.jsonl", "--target", "unhelpful", "--probe-correction")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "stacked-dr +probe" in result.stdout


def test_a_bad_fresh_draw_file_is_reported_by_line_and_field(tmp_path: Path) -> None:
    data = tmp_path / "logged_data.jsonl"
    shutil.copy(arena_dir() / "logged_data.jsonl", data)
    folder = tmp_path / "fresh_draws"
    folder.mkdir()
    (folder / "clone_responses.jsonl").write_text('{"prompt_id": "arena_0", "judge_score": 2.0}\n')
    result = cje_fp("estimate", data, "--json", tmp_path / "r.json")
    assert result.returncode == 1
    assert "line 1: judge_score: out_of_range" in result.stdout + result.stderr


def test_fresh_estimators_without_fresh_draws_are_a_usage_error(tmp_path: Path) -> None:
    data = tmp_path / "logged_data.jsonl"
    shutil.copy(arena_dir() / "logged_data.jsonl", data)
    result = cje_fp("estimate", data, "--estimator", "direct")
    assert result.returncode == 2 and "need fresh draws" in result.stdout + result.stderr


def test_validate_checks_the_fresh_draws_beside_the_file(tmp_path: Path) -> None:
    data = tmp_path / "logged_data.jsonl"
    shutil.copy(arena_dir() / "logged_data.jsonl", data)
    folder = tmp_path / "fresh_draws"
    folder.mkdir()
    (folder / "clone_responses.jsonl").write_text('{"prompt_id": "arena_0", "judge_score": 0.5}\n{"prompt_id": "arena_0", "judge_score": 0.4}\n')
    result = cje_fp("validate", data)
    assert result.returncode == 1 and "line 2: prompt_id: duplicate_draw" in result.stdout
    assert cje_fp("validate", arena_dir() / "logged_data.jsonl").returncode == 0


def test_the_fresh_estimator_choices_match_the_library() -> None:
    from cje_fp.cli.main import FRESH_ESTIMATOR_CHOICES
    from cje_fp.estimation import FRESH_ESTIMATORS

    assert FRESH_ESTIMATOR_CHOICES == FRESH_ESTIMATORS
