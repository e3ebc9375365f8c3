"""A mypy plugin that rejects unwrapping a returns container that may have failed.

Add it after returns' own plugin::

    [mypy]
    plugins =
        returns.contrib.mypy.returns_plugin,
        cje_fp.contrib.mypy

Then ``result.unwrap()``, ``result.failure()`` and iteration over a ``Result``,
``IOResult``, ``Maybe`` (or any other ``Unwrappable``) are errors with code
``unsafe-unwrap`` unless the static type already proves the safe case
(``Success.unwrap()``, ``Failure.failure()``, ...). So are
``unsafe_perform_io(...)`` and ``getattr(x, "unwrap")``. Handle the failure
with ``match``, ``value_or``, ``map``/``bind``/``lash`` instead, or silence a
line knowingly with ``# type: ignore[unsafe-unwrap]``.

This module must stay light: mypy imports it into its own process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.errorcodes import ErrorCode
from mypy.nodes import StrExpr, TypeInfo
from mypy.plugin import FunctionContext, MethodContext, Plugin
from mypy.types import Type as MypyType

UNSAFE_UNWRAP: Final = ErrorCode(
    "unsafe-unwrap", "Unwrapping a container that may hold a failure", "cje-fp"
)

_UNWRAPPABLE: Final = "returns.interfaces.unwrappable.Unwrappable"
_UNWRAPPING_METHODS: Final = frozenset({"unwrap", "failure", "__iter__"})
# (class, method) pairs whose static type proves the call cannot raise.
_PROVEN_SAFE: Final = frozenset(
    {
        ("returns.result.Success", "unwrap"),
        ("returns.result.Success", "__iter__"),
        ("returns.result.Failure", "failure"),
        ("returns.io.IOSuccess", "unwrap"),
        ("returns.io.IOSuccess", "__iter__"),
        ("returns.io.IOFailure", "failure"),
        ("returns.maybe.Some", "unwrap"),
        ("returns.maybe.Some", "__iter__"),
        ("returns.maybe._Nothing", "failure"),
    }
)
_UNSAFE_FUNCTIONS: Final = frozenset({"returns.unsafe.unsafe_perform_io"})


def _short(fullname: str) -> str:
    return fullname.rsplit(".", 1)[-1]


def _method_message(class_name: str, method: str) -> str:
    action = "Iterating over" if method == "__iter__" else f'Calling ".{method}()" on'
    return (
        f'{action} "{_short(class_name)}" may raise: it is not proven to be the safe case. '
        "Handle the failure with match/value_or/map/bind/lash instead"
    )


def _report_method(message: str) -> Callable[[MethodContext], MypyType]:
    def report(ctx: MethodContext) -> MypyType:
        ctx.api.fail(message, ctx.context, code=UNSAFE_UNWRAP)
        return ctx.default_return_type

    return report


def _report_function(ctx: FunctionContext) -> MypyType:
    ctx.api.fail(
        '"unsafe_perform_io" leaves the IO world without handling it',
        ctx.context,
        code=UNSAFE_UNWRAP,
    )
    return ctx.default_return_type


def _report_getattr(ctx: FunctionContext) -> MypyType:
    names = ctx.args[1] if len(ctx.args) > 1 else []
    if any(isinstance(name, StrExpr) and name.value in _UNWRAPPING_METHODS for name in names):
        ctx.api.fail(
            'getattr(..., "unwrap"/"failure") hides an unsafe unwrap from type checking',
            ctx.context,
            code=UNSAFE_UNWRAP,
        )
    return ctx.default_return_type


class UnsafeUnwrapPlugin(Plugin):
    """Reports ``unsafe-unwrap`` errors; see the module docstring."""

    def _is_unwrappable(self, class_name: str) -> bool:
        symbol = self.lookup_fully_qualified(class_name)
        node = symbol.node if symbol is not None else None
        return isinstance(node, TypeInfo) and node.has_base(_UNWRAPPABLE)

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], MypyType] | None:
        class_name, _, method = fullname.rpartition(".")
        if method not in _UNWRAPPING_METHODS or (class_name, method) in _PROVEN_SAFE:
            return None
        if not self._is_unwrappable(class_name):
            return None
        return _report_method(_method_message(class_name, method))

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], MypyType] | None:
        if fullname in _UNSAFE_FUNCTIONS:
            return _report_function
        if fullname == "builtins.getattr":
            return _report_getattr
        return None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return UnsafeUnwrapPlugin
