"""``cje-fp estimate``'s verdict and issue 11's flags, in real subprocesses on real files:
refusals are results (exit 0, listed), ``--fail-on-refusal``, ``--compare``, ``--cluster-by``,
``--label-design``, and what ``--lenient`` drops."""

from __future__ import annotations

import json
from pathlib import Path

from cje_fp.cli.main import LABEL_DESIGN_CHOICES
from cje_fp.estimation import LABEL_DESIGNS
from cje_fp.simulation import ScenarioDraw, scenario_named
from tests.helpers.cli import run_cli
from tests.helpers.jsonl import logged_row, write_lines
from tests.helpers.optional import arena_dir


def write_draw(path: Path, draw: ScenarioDraw, *, ids: str = "prompt", propensity: bool = False) -> Path:
    """A scenario draw as CJE JSONL: one prompt id per row, the family in ``metadata.family``;
    ``ids="family"`` uses the family as the prompt id (exact repeats); ``propensity`` writes each row's
    true labelling probability."""
    data = draw.dataset
    lines = []
    for row in range(data.n_rows):
        record: dict[str, object] = {
            "prompt": f"q{row}",
            "response": "r" * int(data.response_length[row]),
            "prompt_id": draw.families[row] if ids == "family" else f"row-{row}",
            "base_policy_logprob": float(data.base.values[row]),
            "target_policy_logprobs": {name: float(data.targets[name].values[row]) for name in data.target_names},
            "judge_score": float(data.judge.values[row]),
            "oracle_label": float(data.oracle.values[row]) if data.oracle.present[row] else None,
            "metadata": {"family": draw.families[row]},
        }
        if propensity:
            record["oracle_label_propensity"] = float(draw.label_propensity[row])
        lines.append(json.dumps(record))
    return write_lines(path, lines)


def estimates_of(report: Path) -> dict[str, dict[str, dict[str, object]]]:
    document: dict[str, dict[str, dict[str, dict[str, object]]]] = json.loads(report.read_text())
    return document["estimates"]


def test_refusals_are_results_and_fail_on_refusal_makes_them_exit_1(tmp_path: Path) -> None:
    logged = arena_dir() / "logged_data.jsonl"
    logged_only = ("--estimator", "snips", "--estimator", "calibrated-ips")  # not auto: fresh draws lie beside
    produced = run_cli("estimate", logged, *logged_only, "--json", tmp_path / "r.json")
    assert produced.returncode == 0, produced.stderr
    assert "refused unhelpful (snips, calibrated-ips): insufficient_overlap" in produced.stdout
    assert estimates_of(tmp_path / "r.json")["unhelpful"]["snips"]["status"] == "refused"
    strict = run_cli("estimate", logged, *logged_only, "--fail-on-refusal")
    assert strict.returncode == 1 and "4 refusal(s) and --fail-on-refusal" in strict.stderr
    passing = run_cli("estimate", logged, *logged_only, "--target", "clone", "--fail-on-refusal")
    assert passing.returncode == 0, passing.stderr
    bad = write_lines(tmp_path / "bad.jsonl", [json.dumps(logged_row(0, judge_score=1.5))])
    invalid = run_cli("estimate", bad)
    assert invalid.returncode == 1 and "line 1: judge_score: out_of_range" in invalid.stderr


def test_compare_gives_the_paired_difference_with_the_same_gates(tmp_path: Path) -> None:
    logged = arena_dir() / "logged_data.jsonl"
    snips = ("--estimator", "snips")  # the logged-data contrast (auto's stacked-dr: tests/cli/test_fresh.py)
    result = run_cli("estimate", logged, *snips, "--compare", "clone", "base", "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    assert "Paired comparison clone - base" in result.stdout
    section = json.loads((tmp_path / "r.json").read_text())["comparisons"][0]
    entry = section["estimators"]["snips"]
    assert section["baseline"] == "base" and entry["status"] == "ok"
    low, high = entry["record"]["ci"]
    assert low < 0.0 < high  # the clone is the base policy
    refused = run_cli(
        "estimate", logged, *snips, "--target", "clone", "--compare", "unhelpful", "base", "--fail-on-refusal"
    )
    assert refused.returncode == 1 and "snips: refused: insufficient_overlap: unhelpful" in refused.stdout
    unknown = run_cli("estimate", logged, "--compare", "clone", "gpt-7")
    assert unknown.returncode == 2 and "gpt-7" in unknown.stderr


def test_cluster_by_family_widens_the_interval_and_repeated_ids_are_clustered_when_asked(tmp_path: Path) -> None:
    draw = scenario_named("families", scale=0.5).draw(3)
    distinct = write_draw(tmp_path / "families.jsonl", draw)
    by_prompt = run_cli("estimate", distinct, "--estimator", "snips", "--json", tmp_path / "p.json")
    by_family = run_cli(
        "estimate", distinct, "--estimator", "snips", "--cluster-by", "metadata.family", "--json", tmp_path / "f.json"
    )
    assert by_prompt.returncode == 0 and by_family.returncode == 0, by_family.stderr
    assert f"Rows clustered by metadata.family: {len(set(draw.families))} clusters" in by_family.stdout
    se_prompt = estimates_of(tmp_path / "p.json")["better"]["snips"]["se"]
    se_family = estimates_of(tmp_path / "f.json")["better"]["snips"]["se"]
    assert isinstance(se_prompt, float) and isinstance(se_family, float) and se_family > 1.5 * se_prompt
    repeated = write_draw(tmp_path / "repeated.jsonl", draw, ids="family")
    rejected = run_cli("estimate", repeated)
    assert rejected.returncode == 1 and "duplicate_prompt_id" in rejected.stderr
    clustered = run_cli("estimate", repeated, "--estimator", "snips", "--cluster-by", "prompt_id", "--json", tmp_path / "c.json")
    assert clustered.returncode == 0, clustered.stderr
    assert estimates_of(tmp_path / "c.json")["better"]["snips"]["se"] == se_family
    missing = run_cli("estimate", distinct, "--cluster-by", "metadata.topic")
    assert missing.returncode == 1 and "metadata.topic: missing_field" in missing.stderr


def test_label_design_flags_non_random_labels_and_declared_designs_estimate(tmp_path: Path) -> None:
    draw = scenario_named("label-selection", scale=0.5).draw(4)
    logged = write_draw(tmp_path / "selected.jsonl", draw, propensity=True)
    default = run_cli("estimate", logged, "--estimator", "snips", "--json", tmp_path / "d.json")
    assert default.returncode == 0, default.stderr
    assert "labels_not_random" in default.stdout and "--label-design by_judge_score" in default.stdout
    assert estimates_of(tmp_path / "d.json")["better"]["snips"]["kind"] == "labels_not_random"
    for design in ("by_judge_score", "known_propensity"):
        declared = run_cli(
            "estimate", logged, "--estimator", "snips", "--label-design", design, "--fail-on-refusal",
            "--json", tmp_path / f"{design}.json",
        )
        assert declared.returncode == 0, declared.stdout + declared.stderr
        document = json.loads((tmp_path / f"{design}.json").read_text())
        assert document["provenance"]["config"]["label_design"] == design
        low, high = document["estimates"]["better"]["snips"]["ci"]
        assert low < scenario_named("label-selection").truth["better"] < high
    without = write_draw(tmp_path / "no_propensity.jsonl", draw)
    refused = run_cli("estimate", without, "--label-design", "known_propensity")
    assert refused.returncode == 0 and "oracle_label_propensity" in refused.stdout


def test_lenient_prints_what_it_dropped_and_why(tmp_path: Path) -> None:
    rows = [json.dumps(logged_row(index, judge_score=float(index % 10) / 10)) for index in range(60)]
    rows[4] = json.dumps(logged_row(4, judge_score=1.5))
    rows[9] = json.dumps(logged_row(9, base_policy_logprob=0.5))
    logged = write_lines(tmp_path / "lenient.jsonl", rows)
    result = run_cli("estimate", logged, "--lenient")
    assert result.returncode == 0, result.stderr
    assert "--lenient left out 1 row(s) (out_of_range=1)" in result.stderr
    assert "line 5: judge_score: out_of_range: 1.5 is not in [0, 1]" in result.stderr
    assert "line 10: base_policy_logprob: invalid_log_prob" in result.stderr


def test_the_label_design_choices_are_the_library_designs() -> None:
    assert LABEL_DESIGN_CHOICES == LABEL_DESIGNS
