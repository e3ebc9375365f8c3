"""What the unsafe-unwrap check knows about returns' containers: which classes unwrap,
which calls are proven safe by the receiver's class or type arguments, and its messages.

Part of the mypy plugin ``cje_fp.contrib.mypy``; light, like it (mypy imports it).
"""

from __future__ import annotations

from typing import Final

from mypy.errorcodes import ErrorCode
from mypy.maptype import map_instance_to_supertype
from mypy.nodes import TypeInfo
from mypy.typeops import make_simplified_union
from mypy.types import (
    Instance,
    ProperType,
    TupleType,
    Type as MypyType,
    TypeVarType,
    UninhabitedType,
    UnionType,
    get_proper_type,
)

UNSAFE_UNWRAP: Final = ErrorCode(
    "unsafe-unwrap", "Unwrapping a container that may hold a failure", "cje-fp"
)

UNWRAPPABLE: Final = "returns.interfaces.unwrappable.Unwrappable"
IO: Final = "returns.io.IO"
UNWRAPPING_METHODS: Final = frozenset({"unwrap", "failure", "__iter__"})
REFERENCE_MARKER: Final = "used as a value or on a type-variable receiver escapes the unsafe-unwrap check"
HANDLING: Final = "Handle the failure with match sealed(...)/is_success/value_or/map/bind/lash instead"
# (class, method) pairs whose receiver's class proves the call cannot raise.
PROVEN_SAFE: Final = frozenset(
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
# Containers whose type arguments say which case is impossible: (value, error) positions.
_TWO_CASED: Final = ("returns.result.Result", "returns.io.IOResult")
_MAYBE: Final = "returns.maybe.Maybe"


def _short(fullname: str) -> str:
    return fullname.rsplit(".", 1)[-1]


def call_message(class_name: str, method: str, *, passed: bool = False) -> str:
    """What is wrong with calling ``method`` (``__iter__``: iterating, ``passed``: by a
    callee that expects an iterable) on a receiver of class ``class_name``."""
    name = _short(class_name)
    if method != "__iter__":
        action = f'Calling ".{method}()" on "{name}"'
    elif passed:
        action = f'Iterating over "{name}" (passed where an iterable is expected)'
    else:
        action = f'Iterating over "{name}"'
    if class_name == IO:
        return f"{action} takes the value out of IO without handling it"
    return f"{action} may raise: it is not proven to be the safe case. {HANDLING}"


def reference_message(class_name: str, method: str) -> str:
    return (
        f'"{_short(class_name)}.{method}" {REFERENCE_MARKER}: it may raise, or return None '
        f"instead of a value (returns' unbound base-class method). {HANDLING}"
    )


def is_unwrapping_class(info: TypeInfo) -> bool:
    return info.has_base(UNWRAPPABLE) or info.has_base(IO)


def _type_arguments(instance: Instance, base: str) -> tuple[ProperType, ...] | None:
    for info in instance.type.mro:
        if info.fullname == base:
            mapped = map_instance_to_supertype(instance, info)
            return tuple(get_proper_type(arg) for arg in mapped.args)
    return None


def impossible_case_proves_safe(receiver: ProperType, method: str) -> bool:
    """``Maybe[Never].failure()``, ``Result[Never, E].failure()``, ``Result[T, Never].unwrap()``."""
    if not isinstance(receiver, Instance):
        return False
    maybe = _type_arguments(receiver, _MAYBE)
    if maybe is not None:
        return method == "failure" and isinstance(maybe[0], UninhabitedType)
    for base in _TWO_CASED:
        arguments = _type_arguments(receiver, base)
        if arguments is not None and len(arguments) == 2:
            impossible = arguments[1] if method in ("unwrap", "__iter__") else arguments[0]
            return isinstance(impossible, UninhabitedType)
    return False


def unsafe_container(typ: MypyType) -> str | None:
    """The full name of the container class ``typ`` holds, if iterating it is unsafe."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        names = (unsafe_container(item) for item in proper.items)
        return next((name for name in names if name is not None), None)
    if isinstance(proper, TypeVarType):
        return unsafe_container(proper.upper_bound)
    if not isinstance(proper, Instance) or not is_unwrapping_class(proper.type):
        return None
    if (proper.type.fullname, "__iter__") in PROVEN_SAFE or impossible_case_proves_safe(
        proper, "__iter__"
    ):
        return None
    return proper.type.fullname


def is_iterable_protocol(typ: MypyType) -> bool:
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        return any(is_iterable_protocol(item) for item in proper.items)
    if isinstance(proper, TypeVarType):
        return is_iterable_protocol(proper.upper_bound) or any(
            is_iterable_protocol(value) for value in proper.values
        )
    return (
        isinstance(proper, Instance)
        and proper.type.is_protocol
        and "__iter__" in proper.type.protocol_members
    )


def is_iterable_of_iterables(typ: MypyType) -> bool:
    """``Iterable[Iterable[T]]`` and kin: a callee that iterates each item it is given."""
    proper = get_proper_type(typ)
    if isinstance(proper, UnionType):
        return any(is_iterable_of_iterables(item) for item in proper.items)
    return (
        isinstance(proper, Instance)
        and is_iterable_protocol(proper)
        and bool(proper.args)
        and is_iterable_protocol(proper.args[0])
    )


def item_type(typ: MypyType) -> MypyType | None:
    """What iterating ``typ`` gives (a list, tuple, set... of ``T`` gives ``T``)."""
    proper = get_proper_type(typ)
    if isinstance(proper, TupleType):
        return make_simplified_union(proper.items)
    if not isinstance(proper, Instance):
        return None
    for info in proper.type.mro:
        if info.fullname == "typing.Iterable":
            mapped = map_instance_to_supertype(proper, info)
            return mapped.args[0] if mapped.args else None
    return None
