"""Secrets and internal addresses in ``base_url``: a query string is a config error that does not print it,
output rows carry no endpoint address, and ``doctor`` prints the address with secrets redacted."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from cje_fp.testing import FakeServer, FakeServerConfig
from tests.helpers.cli import run_cli
from tests.helpers.scoring import CANARY, MODELS, environment, scoring_rows, write_inputs, write_rows

QUERY_SECRET = "qs-secret-value-8472"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=MODELS, api_key=CANARY)) as running:
        yield running


def _inputs(folder: Path, server: FakeServer, base_url: str) -> tuple[Path, Path]:
    config, data = write_inputs(folder, server)
    config.write_text(config.read_text().replace(f'base_url = "{server.base_url}"', f'base_url = "{base_url}"'))
    assert base_url in config.read_text()
    write_rows(data, scoring_rows(n_rows=6, failing=frozenset()))
    return config, data


def _run(command: str, config: Path, data: Path) -> subprocess.CompletedProcess[str]:
    if command == "doctor":
        return run_cli("doctor", config, env=environment())
    return run_cli("score", config, data, "--out", data.parent / "scored.jsonl", env=environment())


@pytest.mark.parametrize("command", ["score", "doctor"])
@pytest.mark.parametrize("suffix", [f"?api_key={QUERY_SECRET}", f"?{QUERY_SECRET}", "?", f"#{QUERY_SECRET}"])
def test_a_query_string_in_base_url_is_a_config_error_that_does_not_show_it(
    tmp_path: Path, server: FakeServer, command: str, suffix: str
) -> None:
    config, data = _inputs(tmp_path, server, server.base_url + suffix)
    result = _run(command, config, data)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "base_url must not have a query string" in output
    assert QUERY_SECRET not in output
    assert "Traceback" not in output
    assert not (tmp_path / "scored.jsonl").exists()


def test_output_rows_carry_no_endpoint_address(tmp_path: Path, server: FakeServer) -> None:
    address = urlsplit(server.base_url).netloc
    base_url = server.base_url.replace("/v1", f"/gateway/{CANARY}/v1")
    config, data = _inputs(tmp_path, server, base_url)
    result = _run("score", config, data)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (tmp_path / "scored.jsonl").read_text()
    rows = [json.loads(line) for line in text.splitlines()]
    assert len(rows) == 6 and all(row["logprob_status"] == {"base": "ok", "t1": "ok", "t2": "ok"} for row in rows)
    assert all("base_url" not in source for row in rows for source in row["logprob_source"].values())
    for leaked in (address, "gateway", CANARY, "127.0.0.1"):
        assert leaked not in text + result.stdout + result.stderr


def test_doctor_prints_the_address_with_the_key_in_its_path_redacted(tmp_path: Path, server: FakeServer) -> None:
    base_url = server.base_url.replace("/v1", f"/gateway/{CANARY}/v1")
    config, data = _inputs(tmp_path, server, base_url)
    result = _run("doctor", config, data)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/gateway/[REDACTED]/v1 model=model-a: usable" in result.stdout
    assert CANARY not in result.stdout + result.stderr
