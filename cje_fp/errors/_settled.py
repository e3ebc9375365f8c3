"""``settled``: await a ``FutureResult`` and get its plain ``Result``, at the edge of a program.

A ``FutureResult`` awaited gives an ``IOResult`` (returns marks the effect);
after the one ``await`` at the top of an async program the effect has
happened, and ``settled`` hands back the ``Result`` for a ``sealed`` match.

>>> import asyncio
>>> from returns.future import FutureResult
>>> asyncio.run(settled(FutureResult.from_value(3)))
<Success: 3>
"""

from __future__ import annotations

from typing import TypeVar

from returns.future import FutureResult
from returns.result import Result

_ValueType = TypeVar("_ValueType")
_ErrorType = TypeVar("_ErrorType")


async def settled(future: FutureResult[_ValueType, _ErrorType]) -> Result[_ValueType, _ErrorType]:
    """Run ``future`` and return its ``Result``."""
    return await future._inner_value  # type: ignore[unsafe-unwrap]  # the one place a finished effect leaves its IO marker
