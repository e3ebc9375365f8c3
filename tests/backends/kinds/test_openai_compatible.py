"""Kind ``openai-compatible``: its config fields are the policy's own arguments, plus a template file."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest

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
        assert configured.fingerprint["model"] == "m"
        assert configured.fingerprint["template"] == configured.policy.template_id
        assert _BASE["base_url"] not in configured.fingerprint.values()
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


#: Options that say how to reach the server, not what it computes.
_TRANSPORT = {"base_url", "api_key_env", "timeout", "max_in_flight", "batch_size", "batch_wait"}
#: A second value for every other option (each changes a log prob, or whether there is one).
_CHANGED: dict[str, Any] = {
    "model": "other-model",
    "template": "llama3",
    "system_prompt": "Be terse.",
    "score_end_of_turn": False,
    "temperature": 0.7,
    "max_tokens": 1,
    "two_request_fallback": True,
    "template_file": "other.jinja",
}
_SAME: dict[str, Any] = {
    "base_url": "http://10.0.0.7:9000/v1", "api_key_env": "OTHER_KEY", "timeout": 7.0,
    "max_in_flight": 3, "batch_size": 4, "batch_wait": 0.5,
}


def _fingerprint(folder: Path, **changes: Any) -> dict[str, str | None]:
    (folder / "mine.jinja").write_text("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}")
    (folder / "other.jinja").write_text("{% for m in messages %}[{{ m.role }}]{{ m.content }}</s>{% endfor %}")
    options: dict[str, Any] = {**_BASE, "template": "chatml", "system_prompt": "Be kind."}
    if "template_file" in changes:
        options.pop("template")
        options["template_end_of_turn"] = "</s>"
    options.update(changes)
    configured = value_of(BACKEND.build(PolicySettings(name="p", options=options, folder=folder)))
    configured.close()
    return dict(configured.fingerprint)


def test_every_option_is_either_transport_or_in_the_fingerprint() -> None:
    fields = set(BACKEND.fields) - {"template_end_of_turn"}
    assert fields == set(_CHANGED) | _TRANSPORT


@pytest.mark.parametrize("option", sorted(_CHANGED))
def test_an_option_that_changes_a_log_prob_changes_the_fingerprint(tmp_path: Path, option: str) -> None:
    baseline = _fingerprint(tmp_path, template_file="mine.jinja") if option == "template_file" else _fingerprint(tmp_path)
    assert _fingerprint(tmp_path, **{option: _CHANGED[option]}) != baseline


@pytest.mark.parametrize("option", sorted(_SAME))
def test_how_the_server_is_reached_is_not_in_the_fingerprint(tmp_path: Path, option: str) -> None:
    assert _fingerprint(tmp_path, **{option: _SAME[option]}) == _fingerprint(tmp_path)


def test_a_template_files_contents_are_in_the_fingerprint(tmp_path: Path) -> None:
    before = _fingerprint(tmp_path, template_file="mine.jinja")
    (tmp_path / "mine.jinja").write_text("{% for m in messages %}<{{ m.role }}>{{ m.content }}</s>{% endfor %}")
    assert _fingerprint(tmp_path, template_file="mine.jinja") == before
    # the helper rewrites the file; write another body under the same name and build directly
    options = {**_BASE, "template_file": "mine.jinja", "template_end_of_turn": "</s>"}
    (tmp_path / "mine.jinja").write_text("{% for m in messages %}{{ m.content }}</s>{% endfor %}")
    configured = value_of(BACKEND.build(PolicySettings(name="p", options=options, folder=tmp_path)))
    configured.close()
    assert configured.fingerprint["template"] != before["template"]
