"""Kind ``openai-compatible``: its config fields are the policy's own arguments, plus a template file."""

from __future__ import annotations

import inspect
from pathlib import Path

from cje_fp.backends._kinds.openai_compatible import BACKEND
from cje_fp.backends._registry import PolicySettings
from cje_fp.backends.openai import OpenAICompatiblePolicy
from tests.helpers.results import error_of, value_of

_BASE = {"base_url": "http://127.0.0.1:8000/v1", "model": "m"}


def test_the_fields_are_every_constructor_argument_but_the_name() -> None:
    arguments = set(inspect.signature(OpenAICompatiblePolicy).parameters) - {"name"}
    assert set(BACKEND.fields) == arguments | {"template_file", "template_end_of_turn"}
    assert BACKEND.required == {"model"}  # and one of base_url, base_urls


def test_replicas_share_one_fingerprint_that_names_no_server(tmp_path: Path) -> None:
    fingerprints = []
    for urls in (["http://a:8000/v1", "http://b:8000/v1"], ["http://b:8000/v1", "http://c:8000/v1", "http://a:8000/v1"]):
        options = {"base_urls": urls, "model": "m", "template": "chatml"}
        configured = value_of(BACKEND.build(PolicySettings(name="p", options=options, folder=tmp_path)))
        fingerprints.append(configured.fingerprint)
        configured.close()
    assert fingerprints[0] == fingerprints[1] and "base_url" not in fingerprints[0]


def test_a_policy_names_one_server_or_replicas(tmp_path: Path) -> None:
    both = {**_BASE, "base_urls": ["http://a:8000/v1"]}
    assert "either base_url" in error_of(BACKEND.build(PolicySettings(name="p", options=both, folder=tmp_path)))
    neither = {"model": "m"}
    assert "either base_url" in error_of(BACKEND.build(PolicySettings(name="p", options=neither, folder=tmp_path)))
    twice = {"base_urls": ["http://a:8000/v1", "http://a:8000/v1"], "model": "m"}
    assert "twice" in error_of(BACKEND.build(PolicySettings(name="p", options=twice, folder=tmp_path)))


def test_a_built_policy_carries_its_fingerprint_and_key_variable(tmp_path: Path) -> None:
    options = {**_BASE, "template": "chatml", "api_key_env": "MY_KEY", "timeout": 5.0}
    configured = value_of(BACKEND.build(PolicySettings(name="p", options=options, folder=tmp_path)))
    try:
        assert isinstance(configured.policy, OpenAICompatiblePolicy) and configured.policy.timeout == 5.0
        assert configured.api_key_env == "MY_KEY" and configured.kind == "openai-compatible"
        # what produced a cell, not where: output rows never carry the endpoint's address
        assert configured.fingerprint == {"model": "m", "template": configured.policy.template_id}
    finally:
        configured.close()


def test_a_template_file_is_read_next_to_the_config(tmp_path: Path) -> None:
    (tmp_path / "mine.jinja").write_text("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}")
    options = {**_BASE, "template_file": "mine.jinja", "template_end_of_turn": "</s>"}
    configured = value_of(BACKEND.build(PolicySettings(name="p", options=options, folder=tmp_path)))
    try:
        assert str(configured.fingerprint["template"]).startswith("mine@")
    finally:
        configured.close()
    both = {**options, "template": "chatml"}
    assert error_of(BACKEND.build(PolicySettings(name="p", options=both, folder=tmp_path))) == "sets both template and template_file"
    missing = {**_BASE, "template_file": "absent.jinja", "template_end_of_turn": "</s>"}
    assert "does not exist" in error_of(BACKEND.build(PolicySettings(name="p", options=missing, folder=tmp_path)))
