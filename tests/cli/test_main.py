"""The ``cje-fp`` command line: the installed script, argument errors, choices derived from the library."""

from __future__ import annotations

import logging
import shutil
import subprocess

import pytest

from cje_fp.cli.main import main
from tests.helpers.cli import run_cli


def test_the_console_script_is_installed() -> None:
    script = shutil.which("cje-fp")
    assert script is not None, "cje-fp is not on PATH: is the package installed?"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=True)
    assert "demo" in result.stdout and "Exit codes" in result.stdout


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("estimate", "no-such-file.jsonl"), "no such file"),
        (("estimate", "x.jsonl", "--estimator", "magic"), "invalid choice"),
        (("estimate", "x.jsonl", "--level", "1.5"), "level must be in (0, 1)"),
        (("validate",), "the following arguments are required"),
        (("demo", "--rows", "0"), "positive integer"),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(arguments: tuple[str, ...], message: str) -> None:
    result = run_cli(*arguments)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_estimator_choices_match_the_library() -> None:
    from cje_fp.cli.main import ESTIMATOR_CHOICES
    from cje_fp.estimation import ESTIMATORS

    assert ESTIMATOR_CHOICES == ESTIMATORS


def test_the_readme_and_help_list_every_exit_code_once() -> None:
    import re

    from cje_fp.cli.main import build_parser
    from cje_fp.cli.outcome import ExitCode
    from tests.helpers.optional import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("Exit codes, the same for every command") :].split("\n\n")[1]
    table = re.findall(r"^\| (\d+) \| ", section, flags=re.M)
    assert sorted(map(int, table)) == sorted(code.value for code in ExitCode)
    epilog = build_parser().epilog or ""
    assert all(f"{code.value} " in epilog for code in ExitCode)


def test_ctrl_c_in_any_command_exits_130_with_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    cli = importlib.import_module("cje_fp.cli.main")

    def interrupted(argv: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_main", interrupted)
    assert cli.main(["validate", "x.jsonl"]) == 130
    assert capsys.readouterr().err.startswith("interrupted (Ctrl-C)")


def test_an_in_process_run_gives_the_library_logger_back_as_it_was() -> None:
    library = logging.getLogger("cje_fp")
    handlers = list(library.handlers)
    assert main(["estimators"]) == 0
    assert library.propagate
    assert library.handlers == handlers
