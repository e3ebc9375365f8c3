from __future__ import annotations

import pytest

from cje_fp.errors._redaction import REDACTED, crashed, redact


def test_environment_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok_9f8e7d6c5b4a")
    monkeypatch.setenv("HOME_DIR_NAME", "not-a-secret-value")
    text = redact("using tok_9f8e7d6c5b4a in not-a-secret-value")
    assert text == f"using {REDACTED} in not-a-secret-value"


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Bearer abc.def-ghi",
        "GET /v1?api_key=zzzzzzzz&x=1",
        "key sk-proj-ABCDEFGH12345678",
        "password: hunter2hunter2",
    ],
)
def test_credential_shapes_are_redacted(text: str) -> None:
    assert REDACTED in redact(text)
    for secret in ["abc.def-ghi", "zzzzzzzz", "ABCDEFGH12345678", "hunter2hunter2"]:
        assert secret not in redact(text)


def test_explicit_secrets_and_long_messages() -> None:
    error = crashed(RuntimeError("x" * 500 + "canary"))
    assert error.exception_type == "RuntimeError" and len(error.message) == 200
    assert redact("a canary b", secrets=("canary",)) == f"a {REDACTED} b"
