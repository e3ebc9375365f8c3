"""``sealed``, ``is_success``, ``is_failure``: tell mypy which case a ``Result`` is.

mypy does not know that ``Result`` has only two cases, so ``match`` on it gives
``Any`` values and cannot be exhaustive. ``sealed`` is a cast that fixes both.

>>> from returns.result import Failure, Success
>>> match sealed(Success(2)):
...     case Success(value):
...         print(value + 1)
...     case Failure(error):
...         print("failed", error)
3

``is_success``/``is_failure`` narrow a guard (returns' ``is_successful``
narrows nothing), so extracting after the guard is precisely typed and
accepted by the ``unsafe-unwrap`` check:

>>> result = sealed(Success(2))
>>> if is_success(result):
...     print(result.unwrap() + 1)
3
"""

from __future__ import annotations

from typing import TypeVar, cast

from returns.result import Failure, Result, Success
from typing_extensions import TypeIs

_ValueType = TypeVar("_ValueType")
_ErrorType = TypeVar("_ErrorType")


def sealed(
    result: Result[_ValueType, _ErrorType],
) -> Success[_ValueType] | Failure[_ErrorType]:
    """Return ``result`` typed as the union of its two cases."""
    return cast("Success[_ValueType] | Failure[_ErrorType]", result)


def is_success(result: Result[_ValueType, _ErrorType]) -> TypeIs[Success[_ValueType]]:
    """Whether ``result`` is a ``Success``; narrows it to ``Success[T]`` when true.

    The negative branch keeps the declared type; narrow ``sealed(result)`` to get
    ``Failure[E]`` there.

    >>> is_success(Success(1)), is_success(Failure("no"))
    (True, False)
    """
    return isinstance(result, Success)


def is_failure(result: Result[_ValueType, _ErrorType]) -> TypeIs[Failure[_ErrorType]]:
    """Whether ``result`` is a ``Failure``; narrows it to ``Failure[E]`` when true.

    >>> is_failure(Failure("no")), is_failure(Success(1))
    (True, False)
    """
    return isinstance(result, Failure)
