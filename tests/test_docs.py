"""The README's promises and the examples run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert all(command.startswith("python3 -m venv .venv && ") for command in commands)


def test_ci_runs_the_readme_check_command() -> None:
    assert _readme_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_the_quickstart_example_runs() -> None:
    output = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert re.search(r"200 samples x 3 policies: \d+ complete, \d+ partial, \d+ failed; \d+ retries", output)
    assert "valid log weights" in output
