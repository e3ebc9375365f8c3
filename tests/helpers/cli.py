"""Running the ``cje-fp`` command for real, in a subprocess from the repository root."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.helpers.optional import ROOT


def run_cli(
    *arguments: str | Path, timeout: float = 120, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m cje_fp.cli ARGUMENTS``: exit code, stdout and stderr as text."""
    return subprocess.run(
        [sys.executable, "-m", "cje_fp.cli", *map(str, arguments)],
        capture_output=True,
        check=False,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=None if env is None else dict(env),
    )
