from __future__ import annotations

from returns.result import Failure, Result, Success

from cje_fp.errors._sealed import sealed


def _describe(result: Result[int, str]) -> str:
    match sealed(result):
        case Success(value):
            return f"ok {value + 1}"
        case Failure(error):
            return f"failed {error.upper()}"


def test_sealed_keeps_the_value_and_the_error() -> None:
    assert _describe(Success(1)) == "ok 2"
    assert _describe(Failure("x")) == "failed X"


def test_sealed_is_the_identity_at_runtime() -> None:
    result: Result[int, str] = Success(3)
    assert sealed(result) is result
