"""Kind ``tabular``: a table inline or in a JSON file, fingerprinted by its content, checked like the policy."""

from __future__ import annotations

import json
from pathlib import Path

from cje_fp.backends import TabularPolicy
from cje_fp.backends._kinds.tabular import BACKEND
from cje_fp.backends._registry import PolicySettings
from tests.helpers.results import error_of, value_of

TABLE = {"q": {"a": -0.5, "b": -1.5}}


def test_inline_and_file_tables_score_alike_with_one_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps(TABLE))
    inline = value_of(BACKEND.build(PolicySettings(name="t", options={"table": TABLE}, folder=tmp_path)))
    from_file = value_of(BACKEND.build(PolicySettings(name="t", options={"table": "t.json"}, folder=tmp_path)))
    assert inline.fingerprint == from_file.fingerprint
    for configured in (inline, from_file):
        policy = configured.policy
        assert isinstance(policy, TabularPolicy) and policy.compute_log_prob("q", "b").value_or(None) == -1.5
        assert configured.diagnose().usable and configured.api_key_env is None


def test_another_table_has_another_fingerprint(tmp_path: Path) -> None:
    first = value_of(BACKEND.build(PolicySettings(name="t", options={"table": TABLE}, folder=tmp_path)))
    changed = value_of(
        BACKEND.build(PolicySettings(name="t", options={"table": {"q": {"a": -0.5, "b": -1.25}}}, folder=tmp_path))
    )
    assert first.fingerprint != changed.fingerprint


def test_bad_tables_say_why(tmp_path: Path) -> None:
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "repeated.json").write_text('{"q": {"a": -0.5, "b": -1.5, "a": -3.0}}')
    (tmp_path / "latin1.json").write_bytes(b'{"caf\xe9": {"a": -0.5}}')
    (tmp_path / "deep.json").write_text('{"q": ' + "[" * 100_000 + "]" * 100_000 + "}")
    settings = {
        "absent.json": "No such file or directory",
        "list.json": "not a JSON object of {context: {response: log_prob}}",
        "repeated.json": "the key 'a' appears twice in one object",
        "latin1.json": "not a JSON object of {context: {response: log_prob}}",
        "deep.json": "not a JSON object of {context: {response: log_prob}}",
    }
    for table, reason in settings.items():
        assert reason in error_of(BACKEND.build(PolicySettings(name="t", options={"table": table}, folder=tmp_path)))
    too_likely = {"q": {"a": -0.1, "b": -0.1}}
    assert "sum to" in error_of(BACKEND.build(PolicySettings(name="t", options={"table": too_likely}, folder=tmp_path)))
