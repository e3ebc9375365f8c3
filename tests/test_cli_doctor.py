"""``cje-fp doctor`` against fake servers: usable, llama.cpp-like, and refusing our key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig
from tests.test_cli import ROOT
from tests.test_cli_score import CANARY, _environment, _write_inputs


def _doctor(config: Path, key: str | None = CANARY) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cje_fp.cli", "doctor", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=_environment(key),
    )


@pytest.mark.parametrize(
    ("generated_only", "key", "code", "expected"),
    [
        (False, CANARY, 0, "every endpoint supports teacher forcing"),
        (True, CANARY, 1, "generated tokens only"),
        (False, "sk-not-the-key-1234", 3, "unreachable or refusing us"),
    ],
)
def test_doctor_verdicts(tmp_path: Path, generated_only: bool, key: str, code: int, expected: str) -> None:
    config = FakeServerConfig(models=("model-a", "model-b", "model-c"), api_key=CANARY, generated_only=generated_only)
    with FakeServer(config) as server:
        config_file, _ = _write_inputs(tmp_path, server)
        result = _doctor(config_file, key)
    assert result.returncode == code, result.stdout + result.stderr
    assert expected in result.stdout + result.stderr
    assert "sk-not-the-key-1234" not in result.stdout + result.stderr
