"""``sealed``: tell mypy that a ``Result`` is exactly ``Success | Failure``.

mypy does not know that ``Result`` has only two cases, so ``match`` on it gives
``Any`` values and cannot be exhaustive. ``sealed`` is a cast that fixes both.

>>> from returns.result import Failure, Success
>>> match sealed(Success(2)):
...     case Success(value):
...         print(value + 1)
...     case Failure(error):
...         print("failed", error)
3
"""

from __future__ import annotations

from typing import TypeVar, cast

from returns.result import Failure, Result, Success

_ValueType = TypeVar("_ValueType")
_ErrorType = TypeVar("_ErrorType")


def sealed(
    result: Result[_ValueType, _ErrorType],
) -> Success[_ValueType] | Failure[_ErrorType]:
    """Return ``result`` typed as the union of its two cases."""
    return cast("Success[_ValueType] | Failure[_ErrorType]", result)
