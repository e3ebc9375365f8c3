"""Config option types with their constraints, and one message for a value that breaks them.

An option's type is an ``Annotated`` type whose ``msgspec.Meta`` holds the
constraint and, in ``description``, what a valid value is, in words. The same
annotation checks a config value (``convert_option``, which names the option's
path) and a constructor argument (``conforms``, an attrs validator), so the
config and the Python API can never disagree about what is valid.

>>> convert_option("policies.t.timeout", float("inf"), Seconds)
<Failure: policies.t.timeout must be a finite number of seconds > 0 (at most 86400), got inf>
>>> convert_option("policies.t.timeout", 5, Seconds)
<Success: 5.0>
>>> convert_option("policies.t.max_tokens", 5, MaxTokens)
<Failure: policies.t.max_tokens must be 0 or 1 (the tokens generated after the echoed prompt), got 5>
>>> convert_option("policies.t.api_key_env", "", EnvName | None).alt(lambda reason: reason.split(":")[0])
<Failure: policies.t.api_key_env is empty>
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Literal, TypeAlias

import msgspec
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed

Seconds: TypeAlias = Annotated[
    float, msgspec.Meta(gt=0, le=86400, description="a finite number of seconds > 0 (at most 86400)")
]
NonNegativeSeconds: TypeAlias = Annotated[
    float, msgspec.Meta(ge=0, le=86400, description="a finite number of seconds >= 0 (at most 86400)")
]
PositiveInt: TypeAlias = Annotated[int, msgspec.Meta(ge=1, description="a whole number >= 1")]
Temperature: TypeAlias = Annotated[
    float, msgspec.Meta(ge=0, le=100, description="a finite number >= 0 (the temperature the policy samples at)")
]
MaxTokens: TypeAlias = Annotated[
    Literal[0, 1], msgspec.Meta(description="0 or 1 (the tokens generated after the echoed prompt)")
]
EnvName: TypeAlias = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description='the name of the environment variable that holds the key (letters, digits and _, '
        'e.g. "FIREWORKS_API_KEY")',
        extra={"secret": True, "empty": "remove it when the server needs no key"},
    ),
]
"""Never shown back: a user who pastes the key itself here must not see it in an error."""
NonEmptyText: TypeAlias = Annotated[str, msgspec.Meta(min_length=1, description="a non-empty string")]

_PLAIN: dict[object, str] = {float: "a number", int: "a whole number", str: "a string", bool: "true or false"}


def _meta(annotation: object) -> msgspec.Meta | None:
    """The ``msgspec.Meta`` of an annotated type, or of the annotated member of ``X | None``."""
    if typing.get_origin(annotation) is Annotated:
        return next((item for item in typing.get_args(annotation)[1:] if isinstance(item, msgspec.Meta)), None)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next((meta for member in typing.get_args(annotation) if (meta := _meta(member)) is not None), None)
    return None


def expected(annotation: object) -> str | None:
    """What a valid value is, in words (``None`` for a type too rich to say in a few words)."""
    meta = _meta(annotation)
    if meta is not None and meta.description:
        return meta.description
    if typing.get_origin(annotation) is Literal:
        return "one of " + ", ".join(repr(choice) for choice in typing.get_args(annotation))
    members = set(typing.get_args(annotation)) - {type(None)} if isinstance(annotation, types.UnionType) else {annotation}
    if len(members) == 1:
        return _PLAIN.get(members.pop())
    return None


def _shown(value: object, meta: msgspec.Meta | None) -> str:
    if meta is not None and (meta.extra or {}).get("secret"):
        return "a value not shown here (it may be a secret)"
    if isinstance(value, float | bool):
        return str(value).lower()
    return repr(value)


def problem(path: str, value: object, annotation: object, error: str) -> str:
    """One sentence: which option, what it must be, what it was."""
    meta = _meta(annotation)
    words = expected(annotation)
    if value == "" and words is not None:
        hint = (meta.extra or {}).get("empty") if meta is not None else None
        return f"{path} is empty: it must be {words}" + (f"; {hint}" if hint else "")
    if words is None:
        return f"{path}: {error}"
    return f"{path} must be {words}, got {_shown(value, meta)}"


def convert_option(path: str, value: object, annotation: Any) -> Result[Any, str]:
    """``value`` converted to ``annotation`` (strictly: a boolean is not a number), or why not."""
    try:
        return Success(msgspec.convert(value, annotation))
    except msgspec.ValidationError as error:
        return Failure(problem(path, value, annotation, str(error)))


def conforms(annotation: Any) -> typing.Callable[[object, Any, object], None]:
    """An attrs validator: the argument must convert to ``annotation`` unchanged.

    >>> import attrs
    >>> @attrs.frozen
    ... class Client:
    ...     timeout: float = attrs.field(validator=conforms(Seconds))
    >>> Client(timeout=float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: timeout must be a finite number of seconds > 0 (at most 86400), got nan
    """

    def validate(instance: object, attribute: Any, value: object) -> None:
        match sealed(convert_option(attribute.alias, value, annotation)):
            case Failure(reason):
                raise ValueError(reason)
            case Success(_):
                pass

    return validate
