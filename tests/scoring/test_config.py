"""The scoring config: a backend kind per policy, defaults taken by the kinds that know them, lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cje_fp.backends import TabularPolicy
from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.scoring import load_config
from tests.helpers.results import error_of, value_of

_MIXED = """
base_policy = "base"
[defaults]
base_url = "http://127.0.0.1:8000/v1"
template = "chatml"
timeout = 5
[policies.base]
model = "m"
[policies.exact]
kind = "tabular"
table = { q = { a = -1.0 } }
"""


def _config(folder: Path, text: str) -> Path:
    path = folder / "config.toml"
    path.write_text(text)
    return path


def test_each_policy_takes_the_defaults_its_kind_knows(tmp_path: Path) -> None:
    config = value_of(load_config(_config(tmp_path, _MIXED)))
    try:
        base, exact = (policy.policy for policy in config.policies)
        assert isinstance(base, OpenAICompatiblePolicy) and base.timeout == 5.0 and base.template_id is not None
        assert isinstance(exact, TabularPolicy) and exact.table == {"q": {"a": -1.0}}
        assert [policy.kind for policy in config.policies] == ["openai-compatible", "tabular"]
    finally:
        config.close()


def test_a_policys_replicas_hide_the_default_server(tmp_path: Path) -> None:
    text = _MIXED.replace('model = "m"', 'model = "m"\nbase_urls = ["http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1"]')
    config = value_of(load_config(_config(tmp_path, text)))
    try:
        base = config.policies[0].policy
        assert isinstance(base, OpenAICompatiblePolicy) and base.base_url is None
        assert base.endpoints == ("http://127.0.0.1:8001/v1", "http://127.0.0.1:8002/v1")
    finally:
        config.close()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (("timeout = 5", "timeout = 5\ncolour = 1"), "[defaults] has an unknown key 'colour': no policy's kind accepts it"),
        (('kind = "tabular"', 'kind = "tabular"\nmodel = "m"'), "[policies.exact] has an unknown key 'model'; allowed: kind, table"),
        (('kind = "tabular"', "kind = 3"), "policy 'exact': kind must be a string, got 3"),
        (('model = "m"', "model = 7"), "[policies.base] model: Expected `str`, got `int`"),
        (("timeout = 5", "timeout = true"), "policy 'base': timeout: Expected `float`, got `bool`"),
        (('model = "m"', ""), "policy 'base' needs 'model' (in [policies.base] or [defaults])"),
        (("table = { q = { a = -1.0 } }", 'table = "absent.json"'), "policy 'exact': table"),
        (("[defaults]", "[retry]\nmax_attempts = 0\n[defaults]"), "[retry]: 'max_attempts' must be >= 1: 0"),
    ],
)
def test_config_errors_name_the_key(tmp_path: Path, edit: tuple[str, str], reason: str) -> None:
    path = _config(tmp_path, _MIXED.replace(*edit))
    invalid = error_of(load_config(path))
    assert reason in invalid.reason, invalid.reason
    assert invalid.describe().startswith(str(path))


def test_importing_scoring_and_loading_a_tabular_config_never_imports_aiohttp(tmp_path: Path) -> None:
    tables = '[policies.base]\ntable = {q = {a = -2.0}}\n[policies.t]\ntable = {q = {a = -1.0}}\n'
    path = _config(tmp_path, f'base_policy = "base"\n[defaults]\nkind = "tabular"\n{tables}')
    script = (
        "import sys, pathlib\nimport cje_fp.scoring\nbefore = 'aiohttp' in sys.modules\n"
        f"config = cje_fp.scoring.load_config(pathlib.Path({str(path)!r}))\n"
        "print(before, 'aiohttp' in sys.modules, config.map(lambda c: len(c.policies)))"
    )
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False", "<Success:", "2>"]
