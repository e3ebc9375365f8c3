"""``cje-fp doctor`` against fake servers: usable, llama.cpp-like, and refusing our key."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig
from tests.helpers.cli import run_cli
from tests.helpers.scoring import (
    CANARY,
    environment,
    write_inputs,
    write_tabular_config,
)


def _doctor(config: Path, key: str | None = CANARY) -> subprocess.CompletedProcess[str]:
    return run_cli("doctor", config, env=environment(key))


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
        config_file, _ = write_inputs(tmp_path, server)
        result = _doctor(config_file, key)
    assert result.returncode == code, result.stdout + result.stderr
    assert expected in result.stdout + result.stderr
    assert "sk-not-the-key-1234" not in result.stdout + result.stderr


def test_doctor_answers_for_a_tabular_config_without_any_server(tmp_path: Path) -> None:
    table = {"q": {"a": -1.0}}
    result = _doctor(write_tabular_config(tmp_path, {"base": table, "target": table}), key=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("in-process table of 1 contexts") == 2

