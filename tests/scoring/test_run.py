"""``score_file`` from Python: a summary that accounts for every cell, typed errors, files never clobbered."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import filelock
import pytest

from cje_fp.cli.main import main
from cje_fp.scoring import (
    ApiKeysMissing,
    BackendFatal,
    DataNotFound,
    ForeignOutput,
    InputRejected,
    OutputInUse,
    OutputNotWritable,
    OutputOfOtherData,
    ResumePlan,
    _checkpoint,
    load_config,
    score_file,
)
from tests.helpers.results import error_of, value_of
from tests.helpers.scoring import write_rows, write_tabular_config

PROMPTS = [f"q{index}" for index in range(8)]
TABLES = {
    "base": {prompt: {"a": -0.5, "b": -1.0} for prompt in PROMPTS},
    "t": {prompt: {"a": -2.0} for prompt in PROMPTS},  # "b" is outside t's support: a failed cell
}


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    rows = [{"prompt": prompt, "response": "ab"[index % 2], "prompt_id": f"r{index}"} for index, prompt in enumerate(PROMPTS)]
    return write_tabular_config(tmp_path, TABLES), write_rows(tmp_path / "data.jsonl", rows)


class _Recorder:
    def __init__(self) -> None:
        self.events: list[str] = []

    def started(self, plan: ResumePlan) -> None:
        self.events.append(f"started {plan.skipped}")

    def advanced(self, policy: str) -> None:
        self.events.append(policy)

    def finished(self) -> None:
        self.events.append("finished")


def test_the_summary_accounts_for_every_cell_and_progress_sees_each(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = inputs
    recorder = _Recorder()
    summary = value_of(score_file(config, data, tmp_path / "out.jsonl", progress=recorder))
    assert (summary.n_rows, summary.computed, summary.succeeded, summary.skipped) == (8, 16, 12, 0)
    assert summary.failed == {("t", "invalid_input"): 4}
    assert recorder.events[0] == "started 0" and recorder.events[-1] == "finished"
    assert sorted(recorder.events[1:-1]) == ["base"] * 8 + ["t"] * 8
    document = json.loads(json.dumps(summary.to_dict()))
    assert document["schema_version"] == 1 and document["failed"] == [{"policy": "t", "kind": "invalid_input", "count": 4}]


def test_a_second_run_computes_nothing_unless_failed_cells_are_retried(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = inputs
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    first = out.read_bytes()
    again = value_of(score_file(config, data, out))
    assert (again.computed, again.skipped, again.resumed) == (0, 16, True) and out.read_bytes() == first
    retried = value_of(score_file(config, data, out, retry_failed=True))
    assert (retried.computed, retried.skipped) == (4, 12) and out.read_bytes() == first


def test_a_loaded_config_is_left_open_for_the_caller(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    config_path, data = inputs
    config = value_of(load_config(config_path))
    try:
        assert value_of(score_file(config, data, tmp_path / "a.jsonl")).computed == 16
        assert value_of(score_file(config, data, tmp_path / "b.jsonl")).computed == 16
    finally:
        config.close()


def test_input_problems_are_typed_errors(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    config, _ = inputs
    assert error_of(score_file(config, tmp_path / "absent.jsonl", tmp_path / "out.jsonl")) == DataNotFound(
        path=str(tmp_path / "absent.jsonl")
    )
    bad = write_rows(tmp_path / "bad.jsonl", [{"prompt": "q0"}])
    rejected = error_of(score_file(config, bad, tmp_path / "out.jsonl"))
    assert isinstance(rejected, InputRejected) and "line 1: response: missing_field" in rejected.describe()
    assert not (tmp_path / "out.jsonl").exists()


def test_an_output_file_that_is_not_ours_is_refused_and_left_as_it_was(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = inputs
    foreign = tmp_path / "notes.jsonl"
    foreign.write_text("my notes, not JSON\n")
    refused = error_of(score_file(config, data, foreign))
    assert isinstance(refused, ForeignOutput) and refused.line == 1
    assert foreign.read_text() == "my notes, not JSON\n"
    other = tmp_path / "other.jsonl"
    other.write_text('{"prompt_id": "someone-else", "logprob_status": {}}\n')
    stale = error_of(score_file(config, data, other))
    assert isinstance(stale, OutputOfOtherData) and stale.first_id == "someone-else"
    assert other.read_text() == '{"prompt_id": "someone-else", "logprob_status": {}}\n'


def _http_config(folder: Path, base_url: str, key_env: str | None) -> Path:
    key = f'api_key_env = "{key_env}"\n' if key_env else ""
    path = folder / "http.toml"
    path.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{base_url}"\n{key}[retry]\nmax_attempts = 1\ndeadline = 2\n'
        '[policies.base]\nmodel = "m"\n[policies.t]\nmodel = "n"\n'
    )
    return path


def test_a_missing_key_stops_before_any_request(inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CJE_FP_UNSET_KEY", raising=False)
    config = _http_config(tmp_path, "http://127.0.0.1:9/v1", "CJE_FP_UNSET_KEY")
    missing = error_of(score_file(config, inputs[1], tmp_path / "out.jsonl"))
    assert missing == ApiKeysMissing(variables=("CJE_FP_UNSET_KEY (for base)", "CJE_FP_UNSET_KEY (for t)"))


def test_an_unreachable_backend_stops_after_the_first_row(inputs: tuple[Path, Path], tmp_path: Path) -> None:
    config = _http_config(tmp_path, "http://127.0.0.1:9/v1", None)
    out = tmp_path / "out.jsonl"
    fatal = error_of(score_file(config, inputs[1], out))
    assert isinstance(fatal, BackendFatal) and fatal.cause == "connection_failed"
    assert len(out.read_text().splitlines()) <= 1  # at most the first row, journaled as failed


@pytest.mark.parametrize(
    "content",
    [
        b'{"prompt": "q0", "response": "a", "prompt_id": "r0"}\n{"prompt": "q1", "response": "b", "prompt_id": "r1"}',
        b'{"prompt": "q0", "response": "a", "prompt_id": "r0"}',  # one line, no newline
        b'{"prompt_id": "r0", "logprob_status": {"base": "ok"}, "torn',  # a fragment only
        b'{"prompt_id": "r0"}\n{"prompt_id": "r1"}\n',  # ids of the input, but no scores
        None,  # a directory
    ],
)
def test_a_file_not_written_by_score_is_refused_byte_for_byte_unchanged(
    inputs: tuple[Path, Path], tmp_path: Path, content: bytes | None
) -> None:
    config, data = inputs
    foreign = tmp_path / "foreign.jsonl"
    if content is None:
        foreign.mkdir()
    else:
        foreign.write_bytes(content)
    refused = error_of(score_file(config, data, foreign))
    assert isinstance(refused, ForeignOutput), refused
    assert "not a file cje-fp score wrote" in refused.describe()
    assert foreign.is_dir() if content is None else foreign.read_bytes() == content


def test_the_input_file_itself_is_never_the_output(inputs: tuple[Path, Path]) -> None:
    config, data = inputs
    before = data.read_bytes()
    refused = error_of(score_file(config, data, data))
    assert isinstance(refused, ForeignOutput) and data.read_bytes() == before


def _no_space(fail_when: Callable[[int], bool]) -> Callable[[int, bytes], None]:
    """A ``_write_all`` that writes part of the data, then fails as a full disk, for the file descriptors chosen."""
    real = _checkpoint._write_all

    def write_all(fd: int, data: bytes) -> None:
        if not fail_when(fd):
            return real(fd, data)
        os.write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    return write_all


def _lines_are_rows(path: Path) -> list[str]:
    ids = [json.loads(line)["prompt_id"] for line in path.read_bytes().splitlines()]
    assert path.read_bytes().endswith(b"\n") and len(ids) == len(set(ids))
    return ids


def _rescore_with_new_judge_scores(data: Path) -> None:
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    write_rows(data, [{**row, "judge_score": 0.5} for row in rows])


def test_a_full_disk_mid_run_stops_with_a_paragraph_and_the_next_run_resumes(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, data = inputs
    out = tmp_path / "out.jsonl"
    calls = iter(range(100))
    monkeypatch.setattr(_checkpoint, "_write_all", _no_space(lambda fd: next(calls) >= 3))
    full = error_of(score_file(config, data, out))
    assert isinstance(full, OutputNotWritable) and "No space left on device" in full.describe()
    assert "re-run the same command to resume" in full.describe()
    assert len(_lines_are_rows(out)) == 3  # the torn fourth row was cut off again
    assert not list(tmp_path.glob("*.compacting"))
    monkeypatch.undo()
    assert value_of(score_file(config, data, out)).skipped == 6
    clean = tmp_path / "clean.jsonl"
    value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes()


def test_a_full_disk_at_compaction_leaves_the_journal_and_no_temporary_file(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, data = inputs
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    _rescore_with_new_judge_scores(data)  # the output must be rewritten with them
    before = out.read_bytes()
    monkeypatch.setattr(_checkpoint, "_write_all", _no_space(lambda fd: os.readlink(f"/proc/self/fd/{fd}").endswith(".compacting")))
    full = error_of(score_file(config, data, out))
    assert isinstance(full, OutputNotWritable) and out.read_bytes() == before
    assert not list(tmp_path.glob("*.compacting"))
    monkeypatch.undo()
    value_of(score_file(config, data, out))
    clean = tmp_path / "clean.jsonl"
    value_of(score_file(config, data, clean))
    assert out.read_bytes() == clean.read_bytes()


def test_a_full_disk_exits_2_with_one_paragraph_and_no_traceback(
    inputs: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = inputs
    monkeypatch.setattr(_checkpoint, "_write_all", _no_space(lambda fd: True))
    assert main(["score", str(config), str(data), "--out", str(tmp_path / "out.jsonl")]) == 2
    error = capsys.readouterr().err
    assert "No space left on device" in error and "Traceback" not in error


def test_a_second_run_on_the_same_output_is_refused_while_the_first_holds_it(
    inputs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, data = inputs
    out = tmp_path / "out.jsonl"
    value_of(score_file(config, data, out))
    before = out.read_bytes()
    _rescore_with_new_judge_scores(data)
    with filelock.FileLock(tmp_path / "out.jsonl.lock"):  # what a running score holds
        busy = error_of(score_file(config, data, out))
        assert isinstance(busy, OutputInUse) and "being written by another cje-fp score run" in busy.describe()
        assert main(["score", str(config), str(data), "--out", str(out)]) == 2
        assert "wait for it to finish, or choose another output" in capsys.readouterr().err
    assert out.read_bytes() == before
    value_of(score_file(config, data, out))
    assert out.read_bytes() != before
