"""``plan_run``: which cells a run starts with, from the input and what the output already holds."""

from __future__ import annotations

from pathlib import Path

from cje_fp.scoring import StoredCellUnreadable, load_config, score_file
from cje_fp.scoring._resume import plan_run
from tests.helpers.results import error_of, value_of
from tests.helpers.scoring import write_rows, write_tabular_config


def test_the_plan_counts_done_and_pending_cells_per_policy(tmp_path: Path) -> None:
    config_path = write_tabular_config(tmp_path, {"base": {"q": {"a": -1.0}}, "t": {"q": {"a": -2.0}}})
    data = write_rows(tmp_path / "data.jsonl", [{"prompt": "q", "response": "a", "prompt_id": f"r{i}"} for i in range(3)])
    out = tmp_path / "out.jsonl"
    config = value_of(load_config(config_path))
    fresh = value_of(plan_run(config, data, out, retry_failed=False))
    assert (fresh.skipped, len(fresh.pending), fresh.to_compute("t"), fresh.resumed) == (0, 3, 3, False)
    assert fresh.describe() == "3 rows x 2 policies: 0 cells already done, 6 to compute"
    value_of(score_file(config, data, out))
    write_rows(data, [{"prompt": "q", "response": "a", "prompt_id": f"r{i}"} for i in range(4)])
    with out.open("ab") as handle:
        handle.write(b'{"prompt_id": "r0", "torn')
    resumed = value_of(plan_run(config, data, out, retry_failed=False))
    assert (resumed.skipped, [row.row_id for row in resumed.pending], resumed.torn_tail_bytes) == (6, ["r3"], 25)
    assert resumed.describe().endswith("6 cells already done, 2 to compute (resuming " + str(out) + "; 25 torn bytes dropped)")


def test_a_stored_row_that_contradicts_itself_is_refused(tmp_path: Path) -> None:
    config = value_of(load_config(write_tabular_config(tmp_path, {"base": {"q": {"a": -1.0}}, "t": {"q": {"a": -2.0}}})))
    data = write_rows(tmp_path / "data.jsonl", [{"prompt": "q", "response": "a", "prompt_id": "r0"}])
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    out.write_text(out.read_text().replace('"base_policy_logprob":-1.0', '"base_policy_logprob":null'))
    unreadable = error_of(plan_run(config, data, out, retry_failed=False))
    assert isinstance(unreadable, StoredCellUnreadable) and "base is ok but has no log prob" in unreadable.describe()


def _data_change_inputs(tmp_path: Path) -> tuple[Path, Path, list[dict[str, object]]]:
    prompts = [f"q{index}" for index in range(6)]
    config = write_tabular_config(
        tmp_path,
        {
            "base": {prompt: {"short": -1.0, "a much longer answer": -8.5} for prompt in prompts},
            "t": {prompt: {"short": -2.0, "a much longer answer": -3.25} for prompt in prompts},
        },
    )
    rows: list[dict[str, object]] = [
        {"prompt": prompt, "response": "short", "prompt_id": f"r{index}", "judge_score": 0.25}
        for index, prompt in enumerate(prompts)
    ]
    rows[1]["oracle_label"] = 1.0
    return config, write_rows(tmp_path / "data.jsonl", rows), rows


def test_after_the_data_changed_the_output_equals_a_clean_run_on_the_new_data(tmp_path: Path) -> None:
    config, data, rows = _data_change_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    rows[2]["response"] = "a much longer answer"  # an edited response, same prompt id
    for index, row in enumerate(rows):
        row["judge_score"] = 0.1 * index  # new judge scores
        row["oracle_label"] = float(index % 2)  # oracle labels added
    write_rows(data, rows)
    resumed = value_of(score_file(config, data, out))
    assert (resumed.computed, resumed.skipped) == (2, 10)  # only the edited response's cells
    clean = tmp_path / "clean.jsonl"
    value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes()


def test_a_changed_prompt_text_is_rescored_even_under_the_same_id(tmp_path: Path) -> None:
    config, data, rows = _data_change_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    rows[0]["prompt"], rows[3]["prompt"] = rows[3]["prompt"], rows[0]["prompt"]
    write_rows(data, rows)
    assert value_of(score_file(config, data, out)).computed == 4
    clean = tmp_path / "clean.jsonl"
    value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes()


def test_switching_the_base_policy_keeps_every_cell_under_its_own_name(tmp_path: Path) -> None:
    config, data, _ = _data_change_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    config.write_text(config.read_text().replace('base_policy = "base"', 'base_policy = "t"'))
    again = value_of(score_file(config, data, out))
    assert again.computed == 0
    clean = tmp_path / "clean.jsonl"
    value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes()


def test_a_policy_removed_from_the_config_leaves_no_column(tmp_path: Path) -> None:
    config, data, _ = _data_change_inputs(tmp_path)
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    config.write_text(config.read_text().replace('[policies.t]\ntable = "t_table.json"\n', ""))
    (tmp_path / "u_table.json").write_text((tmp_path / "t_table.json").read_text())
    config.write_text(config.read_text() + '[policies.u]\ntable = "u_table.json"\n')
    assert value_of(score_file(config, data, out)).computed == 6
    clean = tmp_path / "clean.jsonl"
    value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes() and b'"t"' not in out.read_bytes()
