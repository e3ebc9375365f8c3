"""Give returns' safe cases their own unwrapping methods, as mypy sees them.

``Some.unwrap``, ``IOSuccess.unwrap``, ``IOFailure.failure``, ``_Nothing.failure`` and
``__iter__`` on the success cases are inherited (returns defines the real ones only at
run time, or in the base class), so a reference such as ``f = Some(1).unwrap`` would
resolve to the base class's method, which the plugin marks deprecated. Each safe case gets
a method of its own, typed by its own type variable, so only unsafe receivers are reported.

Part of the mypy plugin ``cje_fp.contrib.mypy``.
"""

from __future__ import annotations

from typing import Final, Literal

from mypy.nodes import ARG_POS, MDEF, Argument, Block, FuncDef, SymbolTableNode, TypeInfo, Var
from mypy.plugin import ClassDefContext
from mypy.types import CallableType, Instance, NoneType, Type as MypyType
from mypy.typevars import fill_typevars

_Returns = Literal["value", "io", "iterator", "none"]
_OVERRIDES: Final[dict[str, tuple[tuple[str, _Returns], ...]]] = {
    "returns.result.Success": (("__iter__", "iterator"),),
    "returns.maybe.Some": (("unwrap", "value"), ("__iter__", "iterator")),
    "returns.maybe._Nothing": (("failure", "none"),),
    "returns.io.IOSuccess": (("unwrap", "io"), ("__iter__", "iterator")),
    "returns.io.IOFailure": (("failure", "io"),),
}


def _return_type(ctx: ClassDefContext, self_type: Instance, returns: _Returns) -> MypyType:
    if returns == "none":
        return NoneType()
    (held,) = self_type.args  # the one type variable of each case above
    if returns == "value":
        return held
    if returns == "io":
        return ctx.api.named_type("returns.io.IO", [held])
    return ctx.api.named_type("typing.Iterator", [held])


def _method(ctx: ClassDefContext, info: TypeInfo, name: str, returns: _Returns) -> FuncDef:
    self_type = fill_typevars(info)
    assert isinstance(self_type, Instance)
    signature = CallableType(
        [self_type],
        [ARG_POS],
        ["self"],
        _return_type(ctx, self_type, returns),
        ctx.api.named_type("builtins.function"),
        name=name,
    )
    function = FuncDef(name, [Argument(Var("self"), self_type, None, ARG_POS)], Block([]), signature)
    function.info = info
    function._fullname = f"{info.fullname}.{name}"
    signature.definition = function
    function.set_line(info.defn)
    return function


def add_safe_overrides(ctx: ClassDefContext) -> None:
    """Add the safe case's own unwrapping methods to its symbol table."""
    info = ctx.cls.info
    for name, returns in _OVERRIDES.get(info.fullname, ()):
        if name not in info.names:
            info.names[name] = SymbolTableNode(MDEF, _method(ctx, info, name, returns), plugin_generated=True)
