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
        (("timeout = 5", "timeout = 5\ncolour = 1"), "defaults.colour is not a known option: no policy's kind accepts it"),
        (('kind = "tabular"', 'kind = "tabular"\nmodel = "m"'),
         "policies.exact.model is not a known option; allowed in [policies.exact]: kind, table"),
        (('kind = "tabular"', "kind = 3"), "policies.exact.kind must be a string naming a backend kind, got 3"),
        (('model = "m"', "model = 7"), "policies.base.model must be a string, got 7"),
        (("timeout = 5", "timeout = true"), "defaults.timeout must be a finite number of seconds > 0 (at most 86400), got true"),
        (('model = "m"', ""), "policy 'base' needs 'model' (in [policies.base] or [defaults])"),
        (("table = { q = { a = -1.0 } }", 'table = "absent.json"'), "policy 'exact': table"),
        (("[defaults]", "[retry]\nmax_attempts = 0\n[defaults]"), "retry.max_attempts must be a whole number >= 1, got 0"),
        (("[defaults]", "[retry]\ndeadline = inf\n[defaults]"), "retry.deadline must be a finite number of seconds > 0"),
        (("[defaults]", "[run]\nmax_concurrency = 1.5\n[defaults]"), "run.max_concurrency must be a whole number >= 1, got 1.5"),
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


_HTTP = """
base_policy = "base"
[defaults]
base_url = "http://127.0.0.1:8000/v1"
[policies.base]
model = "m"
[policies.unhelpful]
model = "m"
"""


@pytest.mark.parametrize(
    ("added", "reason"),
    [
        ('system_prompt = "You are an unhelpful assistant."', "policies.unhelpful.system_prompt cannot take effect: without a chat template"),
        ("score_end_of_turn = false", "policies.unhelpful.score_end_of_turn cannot take effect: without a chat template"),
        ('template_end_of_turn = "</s>"', "policies.unhelpful.template_end_of_turn cannot take effect: it is the end-of-turn text of a template_file"),
        ("timeout = inf", "policies.unhelpful.timeout must be a finite number of seconds > 0 (at most 86400), got inf"),
        ("timeout = nan", "policies.unhelpful.timeout must be a finite number of seconds > 0 (at most 86400), got nan"),
        ("timeout = -1", "policies.unhelpful.timeout must be a finite number of seconds > 0 (at most 86400), got -1"),
        ("temperature = -0.5", "policies.unhelpful.temperature must be a finite number >= 0"),
        ("max_tokens = 5", "policies.unhelpful.max_tokens must be 0 or 1 (the tokens generated after the echoed prompt), got 5"),
        ("batch_size = 0", "policies.unhelpful.batch_size must be a whole number >= 1, got 0"),
        ('api_key_env = ""', "policies.unhelpful.api_key_env is empty: it must be the name of the environment variable"),
        ('template_file = ""', "policies.unhelpful.template_file is empty"),
    ],
)
def test_an_option_that_is_wrong_or_cannot_take_effect_is_named_by_its_path(
    tmp_path: Path, added: str, reason: str
) -> None:
    invalid = error_of(load_config(_config(tmp_path, _HTTP + added + "\n")))
    assert invalid.reason.startswith(reason), invalid.reason
    assert "Attribute(" not in invalid.reason and "\n" not in invalid.reason


def test_an_option_taken_from_the_defaults_is_named_there(tmp_path: Path) -> None:
    text = _HTTP.replace("[defaults]\n", '[defaults]\nsystem_prompt = "Be brief."\n')
    invalid = error_of(load_config(_config(tmp_path, text)))
    assert invalid.reason.startswith("defaults.system_prompt (taken by policy 'base') cannot take effect"), invalid.reason
    text = _HTTP.replace("[defaults]\n", "[defaults]\ntimeout = -2\n")
    assert error_of(load_config(_config(tmp_path, text))).reason.startswith("defaults.timeout must be a finite number")


def test_a_system_prompt_with_a_template_is_accepted(tmp_path: Path) -> None:
    text = _HTTP + 'system_prompt = "You are an unhelpful assistant."\ntemplate = "llama3"\n'
    config = value_of(load_config(_config(tmp_path, text)))
    config.close()
    assert [policy.fingerprint["system_prompt"] is None for policy in config.policies] == [True, False]


def test_an_api_key_env_holding_what_looks_like_a_key_is_never_shown(tmp_path: Path) -> None:
    secret = "sk-live-0123456789abcdef"
    invalid = error_of(load_config(_config(tmp_path, _HTTP + f'api_key_env = "{secret}"\n')))
    assert invalid.reason.startswith("policies.unhelpful.api_key_env must be the name of the environment variable")
    assert secret not in invalid.describe()


def test_the_python_api_gives_the_same_one_line_errors() -> None:
    with pytest.raises(ValueError, match=r"^max_tokens must be 0 or 1 \(the tokens generated after the echoed prompt\), got 5$"):
        OpenAICompatiblePolicy(name="p", base_url="http://127.0.0.1:8000/v1", model="m", max_tokens=5)  # type: ignore[arg-type]  # the wrong value under test
    with pytest.raises(ValueError, match=r"^timeout must be a finite number of seconds > 0"):
        OpenAICompatiblePolicy(name="p", base_url="http://127.0.0.1:8000/v1", model="m", timeout=float("inf"))
