"""Unwrapping a ``Result`` in a test: the value or error expected, or a failed test saying what came instead."""

from __future__ import annotations

from typing import TypeVar

from returns.result import Failure, Result, Success

from cje_fp.errors import sealed

_V = TypeVar("_V")
_E = TypeVar("_E")


def error_of(result: Result[_V, _E]) -> _E:
    """The error inside a Failure; fails the test on a Success."""
    match sealed(result):
        case Failure(error):
            return error
        case Success(value):
            raise AssertionError(f"expected a Failure, got Success({value!r})")


def value_of(result: Result[_V, _E]) -> _V:
    """The value inside a Success; fails the test on a Failure."""
    match sealed(result):
        case Success(value):
            return value
        case Failure(error):
            describe = getattr(error, "describe", None)
            shown = describe() if callable(describe) else repr(error)
            raise AssertionError(f"expected a Success, got Failure({shown})")
