"""A mypy plugin that rejects every way of taking a value out of a returns container
that is not proven to be the safe case.

Add it after returns' own plugin, and turn on the error codes it relies on::

    [mypy]
    strict = True
    plugins =
        returns.contrib.mypy.returns_plugin,
        cje_fp.contrib.mypy
    enable_error_code = deprecated, ignore-without-code, exhaustive-match

Calls are reported with code ``unsafe-unwrap``: ``result.unwrap()``,
``result.failure()``, iteration (``for``, ``list(r)``, ``f(*r)``, ``zip``...)
over a ``Result``, ``IOResult``, ``Maybe`` (any ``Unwrappable``) or an ``IO``,
unless the static type proves the safe case (``Success.unwrap()``,
``Failure.failure()``, ``Nothing.failure()``, ``Result[T, Never].unwrap()``).
So are the escape hatches: ``unsafe_perform_io``, ``._inner_value``,
``getattr``/``methodcaller``/``attrgetter``/``__getattribute__`` with an
unwrapping name (a literal or a ``Final`` string), and building a bare
``Result``/``Maybe``/``IOResult`` (neither case).

A *reference* to an unsafe method that is not called on the spot
(``f = r.unwrap``, ``map(Result.unwrap, rs)``, ``flow(..., Result.unwrap)``,
``partial(Maybe.unwrap, m)``, a receiver typed by a bound type variable) is
reported through mypy's PEP 702 machinery: the plugin marks those methods
deprecated, so the error's code is ``deprecated``. Handle the failure with
``match sealed(r)``, ``is_success``/``is_failure``, ``value_or``,
``map``/``bind``/``lash`` instead, or silence one line knowingly with
``# type: ignore[unsafe-unwrap]`` (``[deprecated]`` for a reference).

List it after returns' plugin and after any other plugin: mypy asks plugins in order
and uses the first hook offered, and this one offers a hook for every call (to find
containers passed where an iterable is expected).

This module must stay light: mypy imports it into its own process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Final

from mypy.checker import TypeChecker
from mypy.nodes import (
    ARG_STAR,
    ArgKind,
    CallExpr,
    Expression,
    ListExpr,
    MemberExpr,
    SetExpr,
    StrExpr,
    TupleExpr,
    TypeInfo,
)
from mypy.options import Options
from mypy.plugin import (
    AttributeContext,
    ClassDefContext,
    FunctionContext,
    MethodContext,
    Plugin,
    ReportConfigContext,
)
from mypy.types import (
    CallableType,
    Instance,
    LiteralType,
    Overloaded,
    Type as MypyType,
    get_proper_type,
)

from cje_fp.contrib._deprecation import mark_unsafe_methods, report_unsafe, retract_reference_report
from cje_fp.contrib._unwrap_rules import (
    HANDLING,
    PROVEN_SAFE,
    UNSAFE_UNWRAP as UNSAFE_UNWRAP,
    UNWRAPPING_METHODS,
    call_message,
    impossible_case_proves_safe,
    is_iterable_of_iterables,
    is_iterable_protocol,
    is_unwrapping_class,
    item_type,
    unsafe_container,
)

_UNSAFE_FUNCTIONS: Final = frozenset({"returns.unsafe.unsafe_perform_io"})
_BARE_CONSTRUCTORS: Final = frozenset(
    {"returns.result.Result", "returns.io.IOResult", "returns.maybe.Maybe"}
)
_REFLECTION: Final = frozenset({"builtins.getattr", "operator.methodcaller", "operator.attrgetter"})
_REFLECTED_NAMES: Final = UNWRAPPING_METHODS | {"_inner_value"}


def _judge_call(class_name: str, method: str) -> Callable[[MethodContext], MypyType]:
    def judge(ctx: MethodContext) -> MypyType:
        retract_reference_report(ctx, method)
        if (class_name, method) not in PROVEN_SAFE and not impossible_case_proves_safe(
            ctx.type, method
        ):
            report_unsafe(ctx.api, call_message(class_name, method), ctx.context)
        _check_iterated_arguments(ctx)
        return ctx.default_return_type

    return judge


# Iteration outside ``for``: an unsafe container passed where an iterable is expected --------


def _callee_signatures(ctx: MethodContext | FunctionContext) -> list[CallableType]:
    call = ctx.context
    if not isinstance(call, CallExpr) or not isinstance(ctx.api, TypeChecker):
        return []
    callee = get_proper_type(ctx.api.lookup_type_or_none(call.callee))
    if isinstance(callee, CallableType):
        return [callee]
    if isinstance(callee, Overloaded):
        return [item for item in callee.items if item.arg_names == ctx.callee_arg_names] or list(
            callee.items
        )
    return []


def _callee_definition(ctx: FunctionContext) -> str | None:
    signatures = _callee_signatures(ctx)
    definition = signatures[0].definition if len(signatures) == 1 else None
    return definition.fullname if definition is not None else None


def _unsafe_item(ctx: MethodContext | FunctionContext, typ: MypyType, expression: Expression) -> str | None:
    """The unsafe container an iterable argument holds. A display (``[r]``) is typed from
    the callee's context (``list[Iterable[int]]``), so its items are looked at one by one."""
    if isinstance(expression, (ListExpr, SetExpr, TupleExpr)) and isinstance(ctx.api, TypeChecker):
        names = (unsafe_container(ctx.api.lookup_type_or_none(item) or typ) for item in expression.items)
        return next((name for name in names if name is not None), None)
    item = item_type(typ)
    return unsafe_container(item) if item is not None else None


def _check_iterated_arguments(ctx: MethodContext | FunctionContext) -> None:
    """A container that may fail, given where an iterable is expected, is iterated:
    ``list(r)``, ``f(*r)``; or one level down, ``chain.from_iterable([r])``, ``chain(*rs)``."""
    suspects: list[tuple[int, ArgKind, str, bool]] = []
    for formal, (types, kinds, expressions) in enumerate(zip(ctx.arg_types, ctx.arg_kinds, ctx.args, strict=False)):
        for typ, kind, expression in zip(types, kinds, expressions, strict=False):
            if (name := unsafe_container(typ)) is not None:
                suspects.append((formal, kind, name, False))
            elif (name := _unsafe_item(ctx, typ, expression)) is not None:
                suspects.append((formal, kind, name, True))
    if not suspects:
        return
    signatures = _callee_signatures(ctx)
    for formal, kind, name, inside in suspects:
        formals = [signature.arg_types[formal] for signature in signatures if formal < len(signature.arg_types)]
        if not inside:
            iterated = kind == ARG_STAR or any(is_iterable_protocol(typ) for typ in formals)
        elif kind == ARG_STAR:
            iterated = any(is_iterable_protocol(typ) for typ in formals)
        else:
            iterated = any(is_iterable_of_iterables(typ) for typ in formals)
        if iterated:
            report_unsafe(ctx.api, call_message(name, "__iter__", passed=True), ctx.context)
            return


def _check_arguments_function(ctx: FunctionContext) -> MypyType:
    if _callee_definition(ctx) in _UNSAFE_FUNCTIONS:  # an alias: run = unsafe_perform_io
        return _report_unsafe_function(ctx)
    _check_iterated_arguments(ctx)
    return ctx.default_return_type


def _check_arguments_method(ctx: MethodContext) -> MypyType:
    _check_iterated_arguments(ctx)
    return ctx.default_return_type


# Escape hatches ----------------------------------------------------------------------------


def _string_values(expressions: list[Expression], types: list[MypyType]) -> set[str]:
    values = {expression.value for expression in expressions if isinstance(expression, StrExpr)}
    for typ in types:
        proper = get_proper_type(typ)
        if isinstance(proper, Instance) and proper.last_known_value is not None:
            proper = proper.last_known_value
        if isinstance(proper, LiteralType) and isinstance(proper.value, str):
            values.add(proper.value)
    return values


def _report_unsafe_function(ctx: FunctionContext) -> MypyType:
    report_unsafe(
        ctx.api,
        '"unsafe_perform_io" leaves the IO world without handling it',
        ctx.context,
    )
    return ctx.default_return_type


def _report_bare_constructor(ctx: FunctionContext) -> MypyType:
    report_unsafe(
        ctx.api,
        "A bare container is neither a success nor a failure: build it with "
        "Success/Failure, Some/Nothing or IOSuccess/IOFailure",
        ctx.context,
    )
    return ctx.default_return_type


def _report_reflection(ctx: FunctionContext | MethodContext) -> MypyType:
    # getattr(obj, NAME) and obj.__getattribute__(NAME) take the name second/first;
    # methodcaller(NAME) and attrgetter(NAME, ...) take names anywhere.
    names = _string_values(
        [expression for group in ctx.args for expression in group],
        [typ for group in ctx.arg_types for typ in group],
    )
    if names & _REFLECTED_NAMES:
        report_unsafe(
            ctx.api,
            "Reaching an unwrapping method by name hides an unsafe unwrap from type checking",
            ctx.context,
        )
    _check_iterated_arguments(ctx)
    return ctx.default_return_type


def _report_inner_value(ctx: AttributeContext) -> MypyType:
    if isinstance(ctx.context, MemberExpr):
        report_unsafe(
            ctx.api,
            '"._inner_value" takes the value out without handling the failure. ' + HANDLING,
            ctx.context,
        )
    return ctx.default_attr_type


def _rules_digest() -> str:
    """A digest of this plugin's modules: mypy's cache is stale when they change."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class UnsafeUnwrapPlugin(Plugin):
    """Reports ``unsafe-unwrap`` errors; see the module docstring."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        self._digest = _rules_digest()

    def report_config_data(self, ctx: ReportConfigContext) -> str:
        return self._digest

    def _class(self, class_name: str) -> TypeInfo | None:
        symbol = self.lookup_fully_qualified(class_name)
        node = symbol.node if symbol is not None else None
        return node if isinstance(node, TypeInfo) else None

    def get_customize_class_mro_hook(
        self, fullname: str
    ) -> Callable[[ClassDefContext], None] | None:
        return mark_unsafe_methods

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], MypyType] | None:
        class_name, _, method = fullname.rpartition(".")
        if method == "__getattribute__":
            return _report_reflection
        if method in UNWRAPPING_METHODS:
            info = self._class(class_name)
            if info is not None and is_unwrapping_class(info):
                return _judge_call(class_name, method)
        return _check_arguments_method

    def get_function_hook(self, fullname: str) -> Callable[[FunctionContext], MypyType] | None:
        if fullname in _UNSAFE_FUNCTIONS:
            return _report_unsafe_function
        if fullname in _BARE_CONSTRUCTORS:
            return _report_bare_constructor
        if fullname in _REFLECTION:
            return _report_reflection
        return _check_arguments_function

    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], MypyType] | None:
        class_name, _, attribute = fullname.rpartition(".")
        if attribute == "_inner_value" and class_name.startswith("returns."):
            return _report_inner_value
        return None


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return UnsafeUnwrapPlugin
