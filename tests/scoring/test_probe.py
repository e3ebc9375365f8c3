"""The probe at the start of a run: once per endpoint, its measures join the fingerprint."""

from __future__ import annotations

import math
from pathlib import Path

from cje_fp.backends.openai._start_probe import PROBE_TEXT
from cje_fp.scoring import load_config
from cje_fp.scoring._probe import probe_endpoints
from cje_fp.testing import FakeServer, FakeServerConfig, token_log_prob, tokenize
from tests.helpers.results import error_of, value_of


def _config(folder: Path, base_url: str, extra: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{base_url}"\n[policies.base]\nmodel = "m"\n'
        f'[policies.t]\nmodel = "m"\ntemplate = "chatml"\n{extra}'
    )
    return path


def test_policies_sharing_an_endpoint_are_probed_once_and_record_its_log_prob(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=("m",))) as server:
        config = value_of(load_config(_config(tmp_path, server.base_url)))
        try:
            probed = value_of(probe_endpoints(config, enabled=True))
            requests = server.stats().requests
        finally:
            config.close()
    expected = math.fsum(token_log_prob("m", token) for token in tokenize(PROBE_TEXT)[1:])
    for policy in probed.config.policies:
        assert float(str(policy.fingerprint["probe_log_prob"])) == expected
        assert policy.fingerprint["temperature_semantics"] == "raw" and policy.fingerprint_tolerance > 0
    assert len(probed.notes) == 1 and requests <= 10


def test_skipping_the_probe_measures_nothing_and_says_so(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=("m",))) as server:
        config = value_of(load_config(_config(tmp_path, server.base_url)))
        try:
            probed = value_of(probe_endpoints(config, enabled=False))
        finally:
            config.close()
        assert server.stats().requests == 0
    assert "probe_log_prob" not in probed.config.policies[0].fingerprint
    assert probed.notes == ("endpoint probe skipped (--no-probe): the servers are trusted",)


def test_a_temperature_the_endpoint_ignores_is_refused_naming_the_policy(tmp_path: Path) -> None:
    with FakeServer(FakeServerConfig(models=("m",))) as server:
        config = value_of(load_config(_config(tmp_path, server.base_url, "temperature = 0.5\n")))
        try:
            refused = error_of(probe_endpoints(config, enabled=True))
        finally:
            config.close()
    assert refused.policies == ("t",)
    assert "samples at temperature 0.5 but its endpoint returns raw log probs" in refused.describe()


def test_an_endpoint_that_does_not_answer_is_left_to_the_run(tmp_path: Path) -> None:
    config = value_of(load_config(_config(tmp_path, "http://127.0.0.1:9/v1")))
    try:
        probed = value_of(probe_endpoints(config, enabled=True))
    finally:
        config.close()
    assert "probe request failed (connection_failed)" in probed.notes[0]
    assert "probe_log_prob" not in probed.config.policies[0].fingerprint
