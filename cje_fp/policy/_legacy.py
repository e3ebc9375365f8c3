"""``log_prob``: a float-returning wrapper for callers not yet on ``Result``.

It exists only for the transition: it never returns a fallback number, it
raises ``LogProbFailed`` carrying the typed error. mypy reports every caller
as deprecated (PEP 702).

>>> import warnings
>>> from returns.result import Success
>>> from cje_fp.policy._protocol import FunctionPolicy
>>> def call(context: str, response: str) -> LogProbResult:
...     return Success(-1.0)
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", DeprecationWarning)
...     log_prob(FunctionPolicy(name="p", call=call), "q", "a")
-1.0
"""

from __future__ import annotations

from returns.result import Failure, Success
from typing_extensions import deprecated

from cje_fp.errors import LogProbError, sealed
from cje_fp.policy._protocol import LogProbResult, Policy


class LogProbFailed(Exception):
    """Raised by the deprecated ``log_prob`` when the policy call failed."""

    def __init__(self, error: LogProbError) -> None:
        super().__init__(error.describe())
        self.error = error


@deprecated("log_prob raises on failure; use policy.compute_log_prob and handle the Result")
def log_prob(policy: Policy, context: str, response: str) -> float:
    """The log prob of ``response`` given ``context``, or raise ``LogProbFailed``."""
    result: LogProbResult = policy.compute_log_prob(context, response)
    match sealed(result):
        case Success(value):
            return value
        case Failure(error):
            raise LogProbFailed(error)
