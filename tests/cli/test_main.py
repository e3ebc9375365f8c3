"""The ``cje-fp`` command line: the installed script, argument errors, choices derived from the library."""

from __future__ import annotations

import shutil
import subprocess

import pytest

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
