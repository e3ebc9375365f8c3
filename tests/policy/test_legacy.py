from __future__ import annotations

import pytest
from returns.result import Failure, Success

from cje_fp.errors._log_prob import Timeout
from cje_fp.policy._legacy import LogProbFailed, log_prob  # type: ignore[deprecated]  # the shim under test
from cje_fp.policy._protocol import FunctionPolicy


def test_returns_the_value_and_warns() -> None:
    policy = FunctionPolicy(name="p", call=lambda context, response: Success(-1.25))
    with pytest.deprecated_call():
        assert log_prob(policy, "q", "a") == -1.25


def test_raises_with_the_typed_error_instead_of_a_fallback() -> None:
    policy = FunctionPolicy(name="p", call=lambda context, response: Failure(Timeout(seconds=3.0)))
    with pytest.deprecated_call(), pytest.raises(LogProbFailed) as raised:
        log_prob(policy, "q", "a")
    assert raised.value.error == Timeout(seconds=3.0)
    assert "timeout" in str(raised.value)
