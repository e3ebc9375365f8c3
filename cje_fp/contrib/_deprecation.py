"""How the unsafe-unwrap check reports: every *reference* to an unsafe unwrapping method,
called or not, and its own errors regardless of mypy's overload trials.

mypy runs plugin hooks only on calls, so ``f = r.unwrap`` or ``map(Result.unwrap, rs)``
would pass. PEP 702's ``deprecated`` reporting fires on references too: during semantic
analysis the unsafe methods of returns' containers are marked deprecated with a message
of ours. When the reference turns out to be a call, the call hook retracts that report
and judges the call itself (by the receiver's exact type, code ``unsafe-unwrap``).

Part of the mypy plugin ``cje_fp.contrib.mypy``.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.checker import TypeChecker
from mypy.errorcodes import DEPRECATED
from mypy.errors import ErrorInfo
from mypy.nodes import Context, Decorator, FuncDef, Var
from mypy.plugin import CheckerPluginInterface, ClassDefContext, MethodContext

from cje_fp.contrib._safe_overrides import add_safe_overrides
from cje_fp.contrib._unwrap_rules import (
    PROVEN_SAFE,
    REFERENCE_MARKER,
    UNSAFE_UNWRAP,
    UNWRAPPING_METHODS,
    is_unwrapping_class,
    reference_message,
)


def _deprecated_method(function: FuncDef, message: str) -> Decorator:
    """``function`` as if written ``@deprecated(message) def ...``.

    mypy reports a deprecated method on instance access (``r.unwrap``) only when it is a
    decorated method, so the plain definition becomes a ``Decorator`` with no decorator
    left, which is exactly what ``@deprecated`` leaves behind after semantic analysis.
    """
    function.deprecated = message
    function.is_decorated = True
    var = Var(function.name)
    var.is_ready = False
    var.set_line(function)
    decorator = Decorator(function, [], var)
    decorator.set_line(function)
    return decorator


def mark_unsafe_methods(ctx: ClassDefContext) -> None:
    """Mark the class's own unwrapping methods deprecated, so mypy reports every reference."""
    info = ctx.cls.info
    if not is_unwrapping_class(info):
        return
    add_safe_overrides(ctx)
    body = ctx.cls.defs.body
    for index, statement in enumerate(body):
        if isinstance(statement, Decorator) and statement.func.deprecated is None:
            function: FuncDef = statement.func
        elif isinstance(statement, FuncDef):
            function = statement
        else:
            continue
        if function.name not in UNWRAPPING_METHODS or (info.fullname, function.name) in PROVEN_SAFE:
            continue
        message = reference_message(info.fullname, function.name)
        if isinstance(statement, Decorator):
            function.deprecated = message
        else:
            body[index] = _deprecated_method(function, message)


def retract_reference_report(ctx: MethodContext, method: str) -> None:
    """Drop the reference report mypy just made for the callee: the call is judged here.

    The report names the class that defines the method (``Maybe.unwrap`` for a ``Some``
    receiver), so it is found by method name and line, newest first: in the errors held
    by mypy's active error watchers (a call checked inside a return or an overload), or
    else in the file's errors. A ``# type: ignore[unsafe-unwrap]`` on the line made mypy
    add a note that the ignore does not cover the report; the note goes too.
    """
    if not isinstance(ctx.api, TypeChecker):
        return
    marker = f'.{method}" {REFERENCE_MARKER}'
    errors = ctx.api.msg.errors
    held = [getattr(watcher, "_filtered", None) for watcher in errors.get_watchers()]
    places = [*(found for found in held if found), errors.error_info_map.get(errors.file, [])]
    report = _delete_newest(
        places,
        lambda info: info.code == DEPRECATED and info.line == ctx.context.line and marker in info.message,
    )
    if report is not None:
        _delete_newest(places, lambda info: _is_note_about(info, report))


def _delete_newest(places: list[list[ErrorInfo]], matches: Callable[[ErrorInfo], bool]) -> ErrorInfo | None:
    for reported in places:
        for index in range(len(reported) - 1, -1, -1):
            if matches(reported[index]):
                return reported.pop(index)
    return None


def _is_note_about(note: ErrorInfo, error: ErrorInfo) -> bool:
    return (
        note.severity == "note"
        and (note.line, note.column) == (error.line, error.column)
        and note.message.startswith('Error code "deprecated" not covered')
    )


def report_unsafe(api: CheckerPluginInterface, message: str, context: Context) -> None:
    """Report an ``unsafe-unwrap`` error even while mypy is trying overload items.

    mypy checks each item of an overloaded callee (``sum``, ``max``...) with errors
    held back, and an item that reported an error does not match: reported there, the
    error would make a well-typed call fail with a misleading ``arg-type``. The report
    is about the source, not about one item, so it skips the holding watchers (mypy
    removes the duplicates an overload's several items produce).
    """
    if not isinstance(api, TypeChecker):
        api.fail(message, context, code=UNSAFE_UNWRAP)
        return
    errors = api.msg.errors
    watchers = getattr(errors, "_watchers", None)
    if watchers is None:
        api.fail(message, context, code=UNSAFE_UNWRAP)
        return
    errors._watchers = []
    try:
        api.fail(message, context, code=UNSAFE_UNWRAP)
    finally:
        errors._watchers = watchers
