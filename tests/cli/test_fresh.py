"""``cje-fp estimate`` with fresh draws, driven in subprocesses on the arena sample and on broken files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli as cje_fp
from tests.helpers.optional import arena_dir


def test_estimate_discovers_fresh_draws_and_auto_picks_stacked_dr(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = cje_fp("estimate", arena_dir() / "logged_data.jsonl", "--json", out)
    assert result.returncode == 0, result.stderr  # unhelpful is refused: a refusal is a result
    assert "fresh draws from" in result.stdout and "probe slices from" in result.stdout
    document = json.loads(out.read_text())
    assert document["fresh"]["estimator_choice"] == {"requested": ["auto"], "used": ["stacked-dr"]}
    assert document["estimators"]["stacked-dr"]["inputs"] == "fresh-draws"
    estimates = document["estimates"]
    unhelpful = estimates["unhelpful"]["stacked-dr"]
    assert unhelpful["kind"] == "calibration_does_not_transport"
    assert unhelpful["diagnostics"]["transport"]["status"] == "FAIL" == unhelpful["record"]["audit"]["status"]
    clone = estimates["clone"]["stacked-dr"]
    assert clone["status"] == "ok" and clone["fresh"]["transport"]["status"] in ("PASS", "INCONCLUSIVE")
    assert clone["fresh"]["boundary"]["status"] == "PASS" and "outcome_r2_out_of_fold" in clone["fresh"]["dr"]
    assert clone["n_used"] == clone["fresh"]["n_draws"] == 1000


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


def test_compare_contrasts_the_chosen_fresh_draw_estimator_with_the_base_draws(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = cje_fp(
        "estimate", arena_dir() / "logged_data.jsonl", "--compare", "clone", "parallel_universe_prompt",
        "--compare-to", "base", "--json", out,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Paired comparison clone - parallel_universe_prompt" in result.stdout
    assert "Every target - base, Holm-adjusted" in result.stdout
    assert "snips" not in result.stdout  # auto chose stacked-dr only: the contrasts are its own
    document = json.loads(out.read_text())
    pair = document["comparisons"][0]["estimators"]["stacked-dr"]
    assert pair["status"] == "ok" and pair["record"]["estimator"] == "stacked-dr"
    record = pair["record"]
    assert abs(record["difference"] - (record["target_value"] - record["baseline_value"])) < 1e-12
    family = document["comparison_family"]["estimators"]["stacked-dr"]
    assert family["unhelpful"]["kind"] == "calibration_does_not_transport"
    reported = [family[name]["record"] for name in ("clone", "parallel_universe_prompt")]
    # two contrasts reported (unhelpful is refused): simultaneous intervals at 1 - 0.05/2
    assert [entry["level"] for entry in reported] == pytest.approx([0.975, 0.975])
    for entry in reported:
        low, high = entry["ci"]
        assert low < entry["difference"] < high and entry["holm_p_value"] >= entry["p_value"]
        assert entry["baseline"] == "<base>" and entry["baseline_value"] != entry["target_value"]


def test_compare_with_a_logged_data_estimator_still_uses_the_logged_rows() -> None:
    result = cje_fp(
        "estimate", arena_dir() / "logged_data.jsonl", "--estimator", "snips", "--compare", "clone", "base",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "snips:" in result.stdout and "stacked-dr" not in result.stdout
