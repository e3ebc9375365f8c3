"""Map an HTTP answer (status, headers, body) or a client exception to one ``LogProbError``.

Pure: no I/O. The body is redacted (the API key and anything that looks like a
credential) and cut to a short excerpt before it is kept.

>>> error = error_for_status(429, body="slow down", retry_after="7", request_hash="ab12", model="m")
>>> error.describe()
"rate_limited(retry_after=7.0, http=HttpDetail(status=429, body_excerpt='slow down', request_hash='ab12'))"
>>> error_for_status(400, body="This model's maximum context length is 4096 tokens",
...                  retry_after=None, request_hash="ab12", model="m").kind
'token_limit_exceeded'
>>> error_for_status(404, body="", retry_after=None, request_hash="", model="llama").kind
'model_not_found'
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from email.utils import parsedate_to_datetime
from typing import Final

from cje_fp.errors import (
    BadRequest,
    ConnectionFailed,
    HttpDetail,
    LogProbError,
    ModelNotFound,
    RateLimited,
    ServerError,
    Timeout,
    TokenLimitExceeded,
    Unauthorized,
    crashed,
    excerpt,
    redact,
)

#: How many hex digits of the request body's sha256 an error keeps.
REQUEST_HASH_DIGITS: Final = 16

#: Messages that servers use when the prompt is longer than the model's context.
_CONTEXT_LENGTH: Final = re.compile(
    r"context[ _-]?length|maximum context|context window|too many tokens|"
    r"prompt is too long|input is too long|exceeds? (?:the )?(?:model'?s? )?"
    r"(?:max(?:imum)?|context|token limit)",
    re.IGNORECASE,
)


def request_hash(body: bytes) -> str:
    """A short content hash of a request body (sha256, hex prefix).

    >>> request_hash(b"{}")
    '44136fa355b3678a'
    """
    return hashlib.sha256(body).hexdigest()[:REQUEST_HASH_DIGITS]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Unparseable or absent values give ``None``; dates in the past give ``0.0``.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0)
    10.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_date(text, time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until_date(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now)


def detail(status: int | None, body: str, hash_: str, secrets: tuple[str, ...] = ()) -> HttpDetail:
    """An ``HttpDetail`` with the body redacted and shortened."""
    return HttpDetail(status=status, body_excerpt=excerpt(redact(body, secrets)), request_hash=hash_)


def error_for_status(
    status: int,
    *,
    body: str,
    retry_after: str | None,
    request_hash: str,
    model: str,
    secrets: tuple[str, ...] = (),
    now: float | None = None,
    path: str = "",
) -> LogProbError:
    """The error for a non-2xx answer (any 2xx here is a caller bug: a bad request); ``path``
    is the URL path requested (a 404 names it)."""
    http = detail(status, body, request_hash, secrets)
    if status == 429:
        return RateLimited(retry_after=parse_retry_after(retry_after, now=now), http=http)
    if status >= 500:
        return ServerError(status=status, http=http)
    if status in (401, 403):
        return Unauthorized(http=http)
    if status == 404:
        return ModelNotFound(model=model, http=http, path=redact(path, secrets))
    if status in (400, 413, 422) and _CONTEXT_LENGTH.search(body):
        return TokenLimitExceeded(http=http)
    return BadRequest(http=http)


def error_for_exception(
    error: BaseException, *, seconds: float, request_hash: str, secrets: tuple[str, ...] = ()
) -> LogProbError:
    """The error for an exception raised while sending or reading a request.

    Timeouts are ``Timeout``; connection failures (refused, reset, dropped
    mid-answer) are ``ConnectionFailed``; anything else is ``PolicyCrashed``.

    >>> error_for_exception(TimeoutError(), seconds=2.0, request_hash="ab").describe()
    "timeout(seconds=2.0, request_hash='ab')"
    >>> error_for_exception(ConnectionResetError("peer reset"), seconds=2.0,
    ...                     request_hash="ab").kind
    'connection_failed'
    """
    if isinstance(error, TimeoutError):
        return Timeout(seconds=seconds, request_hash=request_hash)
    if _is_connection_error(error):
        reason = excerpt(redact(f"{type(error).__name__}: {error}", secrets))
        return ConnectionFailed(reason=reason, request_hash=request_hash)
    return crashed(error)


def _is_connection_error(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return True
    # aiohttp's connection and payload errors, matched by name so this module stays pure.
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"ClientConnectionError", "ClientPayloadError", "ServerDisconnectedError"})
