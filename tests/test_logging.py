"""The library logs (retries, resumes, refusals) through ``cje_fp.*`` loggers and adds no
handler; the CLI's ``--verbose``/``--quiet`` decide what reaches stderr."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from returns.result import Failure, Success
from tenacity import wait_fixed

from cje_fp.errors._log_prob import RetriesExhausted, Timeout
from cje_fp.policy._protocol import FunctionPolicy, LogProbResult, Policy
from cje_fp.policy._retry import retrying
from cje_fp.scoring._checkpoint import RowJournal, read_rows
from cje_fp.testing import FakeServer, FakeServerConfig, fault_marker
from tests.conftest import error_of
from tests.helpers.optional import ROOT


def _flaky(outcomes: list[LogProbResult]) -> Policy:
    calls = iter(outcomes)
    return retrying(
        FunctionPolicy(name="flaky-model", call=lambda context, response: next(calls)),
        max_attempts=3,
        wait=wait_fixed(0.0),
        sleep=lambda seconds: None,
    )


def test_retries_are_logged_at_info_with_the_policy_and_error_kind(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cje_fp")
    assert _flaky([Failure(Timeout()), Success(-1.0)]).compute_log_prob("q", "a") == Success(-1.0)
    retries = [record for record in caplog.records if record.name == "cje_fp.policy._retry"]
    assert [record.levelno for record in retries] == [logging.INFO]
    assert "flaky-model" in retries[0].getMessage() and "timeout" in retries[0].getMessage()


def test_giving_up_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cje_fp")
    result = _flaky([Failure(Timeout())] * 3).compute_log_prob("q", "a")
    assert isinstance(error_of(result), RetriesExhausted)
    messages = [record.getMessage() for record in caplog.records if record.name == "cje_fp.policy._retry"]
    assert len(messages) == 3  # two retries, then giving up
    assert "giving up after 3 attempts" in messages[-1]


def test_a_resume_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "journal.jsonl"
    with RowJournal.open(path, id_field="id") as journal:
        journal.append({"id": "a", "x": 1})
        journal.append({"id": "b", "x": 2})
    with path.open("a") as handle:
        handle.write('{"id": "c", "x"')  # torn by a crash
    caplog.set_level(logging.INFO, logger="cje_fp")
    assert isinstance(read_rows(path, id_field="id"), Success)
    resumed = [record.getMessage() for record in caplog.records if record.name == "cje_fp.scoring._checkpoint"]
    assert len(resumed) == 1
    assert "2 rows already written" in resumed[0] and "15 torn bytes" in resumed[0]


def test_the_library_adds_no_handler() -> None:
    script = textwrap.dedent(
        """
        import logging, tempfile, pathlib
        import cje_fp
        from returns.result import Failure, Success
        from cje_fp.errors._log_prob import Timeout
        from cje_fp.policy import FunctionPolicy, retrying
        from cje_fp.scoring._checkpoint import RowJournal, read_rows
        outcomes = iter([Failure(Timeout()), Success(-1.0)])
        policy = retrying(FunctionPolicy(name="p", call=lambda c, r: next(outcomes)), sleep=lambda s: None)
        policy.compute_log_prob("q", "a")
        folder = pathlib.Path(tempfile.mkdtemp())
        with RowJournal.open(folder / "j.jsonl", id_field="id") as journal:
            journal.append({"id": "a"})
        read_rows(folder / "j.jsonl", id_field="id")
        loggers = [logging.getLogger(name) for name in logging.root.manager.loggerDict if name.startswith("cje_fp")]
        print(len(loggers), len(logging.root.handlers), sum(len(logger.handlers) for logger in loggers))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    n_loggers, root_handlers, library_handlers = map(int, result.stdout.split())
    assert n_loggers >= 2  # the retry and journal loggers exist ...
    assert (root_handlers, library_handlers) == (0, 0)  # ... and nothing configured a handler
    assert result.stderr == ""  # logging's last resort prints WARNING and above only


def _score(folder: Path, server: FakeServer, *flags: str) -> subprocess.CompletedProcess[str]:
    rows = [
        {"prompt": f"Question {i}?", "response": f"Answer {i}." + (fault_marker("server_error", 1) if i == 2 else ""),
         "prompt_id": f"q{i}"}
        for i in range(4)
    ]
    data = folder / "data.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = folder / "config.toml"
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\ntemplate = "chatml"\nbatch_size = 1\n'
        '[retry]\nmax_attempts = 3\ndeadline = 20\n[policies.base]\nmodel = "m"\n[policies.t]\nmodel = "m"\n'
    )
    out = folder / "scored.jsonl"
    return subprocess.run(
        [sys.executable, "-m", "cje_fp.cli", "score", str(config), str(data), "--out", str(out), *flags],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("flags", "shows_log", "shows_output"),
    [((), False, True), (("--verbose",), True, True), (("--quiet",), False, False)],
)
def test_cli_flags_set_the_log_level(
    tmp_path: Path, flags: tuple[str, ...], shows_log: bool, shows_output: bool
) -> None:
    with FakeServer(FakeServerConfig(models=("m",))) as server:
        first = _score(tmp_path, server, *flags)
        second = _score(tmp_path, server, *flags)  # resumes
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert ("INFO cje_fp.policy._retry: policy" in first.stderr) is shows_log, first.stderr
    assert ("INFO cje_fp.scoring._checkpoint: resuming" in second.stderr) is shows_log, second.stderr
    assert ("wrote" in first.stdout) is shows_output, first.stdout
    if not shows_output:
        assert first.stdout == second.stdout == ""


def test_refusals_are_logged_with_their_reason(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from cje_fp.estimation import estimate_all
    from cje_fp.io import load_dataset
    from tests.conftest import value_of
    from tests.helpers.scored_files import write_scored_file

    dataset = value_of(load_dataset(write_scored_file(tmp_path / "scored.jsonl")))
    caplog.set_level(logging.INFO, logger="cje_fp")
    estimate_all(dataset, estimators=("snips", "ips"), targets=dataset.target_names)
    refusals = [record.getMessage() for record in caplog.records if record.name == "cje_fp.estimation._estimate"]
    assert [message.split(":")[0] for message in refusals] == ["refused far [snips]", "refused far [ips]"]
    assert all("insufficient_overlap" in message and "ESS fraction" in message for message in refusals)


def test_estimate_verbose_shows_refusals_in_the_log(tmp_path: Path) -> None:
    from tests.helpers.cli import run_cli as cje_fp
    from tests.helpers.scored_files import write_scored_file

    scored = write_scored_file(tmp_path / "scored.jsonl")
    quiet, verbose = cje_fp("estimate", scored), cje_fp("estimate", scored, "--verbose")
    assert quiet.returncode == verbose.returncode == 1
    assert "INFO cje_fp.estimation._estimate: refused far" in verbose.stderr
    assert "cje_fp.estimation" not in quiet.stderr
