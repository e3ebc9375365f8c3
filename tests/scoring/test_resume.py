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
