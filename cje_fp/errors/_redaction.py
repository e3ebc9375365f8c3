"""Keep secrets out of error messages.

Anything that looks like a credential is replaced before a message is stored
in an error: bearer tokens, ``sk-`` style keys, ``key=...`` query parameters,
and the value of any environment variable whose name marks it as a secret.

>>> import os
>>> os.environ["DEMO_API_KEY"] = "s3cr3t-value-123"
>>> redact("auth failed for s3cr3t-value-123 with Authorization: Bearer abc.def")
'auth failed for [REDACTED] with Authorization: Bearer [REDACTED]'
>>> del os.environ["DEMO_API_KEY"]
"""

from __future__ import annotations

import os
import re
from typing import Final
from urllib.parse import urlsplit, urlunsplit

from cje_fp.errors._log_prob import PolicyCrashed, excerpt

REDACTED: Final = "[REDACTED]"
_SECRET_NAME: Final = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
_PATTERNS: Final = (
    re.compile(r"(?i)(bearer\s+)[^\s'\"]+"),
    re.compile(r"(?i)((?:api[_-]?key|token|secret|password)\s*[=:]\s*)[^\s&'\"]+"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
)
#: Environment values shorter than this are not treated as secrets (too common).
_MIN_SECRET_LENGTH: Final = 8


def _secret_values() -> list[str]:
    return sorted(
        (
            value
            for name, value in os.environ.items()
            if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LENGTH
        ),
        key=len,
        reverse=True,
    )


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with known secrets (and ``secrets``) replaced by ``[REDACTED]``."""
    for secret in (*secrets, *_secret_values()):
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: (match.group(1) if match.groups() else "") + REDACTED, text)
    return text


def redact_url(url: str) -> str:
    """An address fit to print: no user or password, no query or fragment, known secrets redacted.

    >>> redact_url("https://user:pw@api.example.com:8443/v1?api_key=abc#x")
    'https://[REDACTED]@api.example.com:8443/v1?[REDACTED]'
    >>> redact_url("http://127.0.0.1:8000/v1")
    'http://127.0.0.1:8000/v1'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = (f"{REDACTED}@" if "@" in parts.netloc else "") + host + (f":{port}" if port is not None else "")
    tail = f"?{REDACTED}" if parts.query or parts.fragment or "?" in url or "#" in url else ""
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")) + tail)


def crashed(error: BaseException) -> PolicyCrashed:
    """Describe an unexpected exception by its type and a short redacted message.

    >>> crashed(ValueError("bad token=abc123"))
    PolicyCrashed(exception_type='ValueError', message='bad token=[REDACTED]')
    """
    return PolicyCrashed(exception_type=type(error).__name__, message=excerpt(redact(str(error))))
