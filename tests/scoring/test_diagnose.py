"""``diagnose_config``: every policy's backend answers for itself, through its kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from cje_fp.scoring import ApiKeysMissing, ConfigInvalid, diagnose_config
from cje_fp.testing import FakeServer, FakeServerConfig
from tests.helpers.results import error_of, value_of
from tests.helpers.scoring import write_tabular_config


def _mixed(folder: Path, base_url: str, key_env: str = "") -> Path:
    key = f'api_key_env = "{key_env}"\n' if key_env else ""
    path = folder / "config.toml"
    path.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{base_url}"\n{key}'
        '[policies.base]\nmodel = "m"\n[policies.exact]\nkind = "tabular"\ntable = {q = {a = -1.0}}\n'
    )
    return path


def test_a_tabular_config_is_usable_and_reports_as_data(tmp_path: Path) -> None:
    summary = value_of(diagnose_config(write_tabular_config(tmp_path, {"b": {"q": {"a": -1.0}}, "t": {"q": {"a": -1.0}}})))
    assert summary.usable and summary.unreachable == () and summary.unusable == ()
    assert summary.to_dict()["schema_version"] == 1 and [entry["policy"] for entry in summary.to_dict()["policies"]] == ["b", "t"]


def test_an_http_policy_and_a_table_are_diagnosed_side_by_side(tmp_path: Path) -> None:
    probed: list[str] = []
    with FakeServer(FakeServerConfig(models=("m",))) as server:
        summary = value_of(diagnose_config(_mixed(tmp_path, server.base_url), on_policy=probed.append))
    assert probed == ["base", "exact"] and summary.usable
    unreachable = value_of(diagnose_config(_mixed(tmp_path, "http://127.0.0.1:9/v1")))
    assert unreachable.unreachable == ("base",) and unreachable.unusable == ("base",)


def test_config_and_key_problems_come_before_any_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CJE_FP_UNSET_KEY", raising=False)
    assert isinstance(error_of(diagnose_config(tmp_path / "absent.toml")), ConfigInvalid)
    missing = error_of(diagnose_config(_mixed(tmp_path, "http://127.0.0.1:9/v1", "CJE_FP_UNSET_KEY")))
    assert missing == ApiKeysMissing(variables=("CJE_FP_UNSET_KEY (for base)",))
