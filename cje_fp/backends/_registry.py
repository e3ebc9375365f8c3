"""The backend registry: how a scoring config's ``kind`` becomes a policy, with lazy imports.

Each kind is one module in ``cje_fp.backends._kinds``, named after the kind
(``-`` becomes ``_``), that defines ``BACKEND: Backend``: the config fields the
kind accepts (derived from its policy class with ``fields_of``) and how to build
a ``ConfiguredPolicy`` from them. Kinds are listed without importing them; a
kind's module (and what it imports, e.g. aiohttp) is imported only when a config
names it. Adding a backend to ``cje-fp score`` and ``doctor`` is one new module.

>>> "openai-compatible" in backend_kinds() and "tabular" in backend_kinds()
True
>>> resolve_backend("tabular").map(lambda backend: sorted(backend.fields))
<Success: ['table']>
>>> resolve_backend("carrier-pigeon")
<Failure: unknown backend kind 'carrier-pigeon'; known: openai-compatible, tabular>
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Final, final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends import _kinds
from cje_fp.backends._options import convert_option
from cje_fp.errors import sealed
from cje_fp.policy import AsyncPolicy, Policy

#: The kind of a policy whose config does not name one.
DEFAULT_KIND: Final = "openai-compatible"


@final
@attrs.frozen(kw_only=True)
class Diagnosis:
    """What ``doctor`` found about one configured policy: can it score, and is it there at all."""

    policy: str
    reachable: bool
    usable: bool
    summary: str
    noise_floor: float | None = None


@final
@attrs.frozen(kw_only=True)
class EndpointStats:
    """What one endpoint (server) did for a policy: requests sent, failed, answered 429/503,
    times taken out, and its in-flight limit now (AIMD) under its ceiling."""

    endpoint: str
    requests: int
    failed: int
    overloaded: int
    ejections: int
    limit: int
    ceiling: int
    peak_in_flight: int
    down: bool


def _nothing_to_close() -> None:
    """A backend without connections."""


def _no_endpoints() -> tuple[EndpointStats, ...]:
    """A backend that sends no requests."""
    return ()


def _no_load() -> str | None:
    """A backend with nothing to say about its load."""
    return None


def _nothing_ineffective(options: Mapping[str, object]) -> tuple[tuple[str, str], ...]:
    """A kind whose options all take effect whatever the others say."""
    return ()


#: Fingerprint entries measured at the start of a run (not set by the config): compared on
#: resume only when both the stored cell and the run measured them.
PROBE_LOG_PROB: Final = "probe_log_prob"
TEMPERATURE_SEMANTICS: Final = "temperature_semantics"


@final
@attrs.frozen(kw_only=True)
class EndpointProbe:
    """What the start of a run measured about a policy's endpoint (``ConfiguredPolicy.probe``)."""

    measured: Mapping[str, str]
    """Entries added to the policy's fingerprint (``PROBE_LOG_PROB``, ``TEMPERATURE_SEMANTICS``)."""
    refusal: str | None
    """Why scoring on this endpoint would write wrong numbers (``None``: nothing found)."""
    summary: str
    tolerance: float = 0.0
    """How far a stored ``PROBE_LOG_PROB`` may be from this one for the same model."""


@final
@attrs.frozen(kw_only=True, eq=False)
class ConfiguredPolicy:
    """A policy built from a scoring config, with what ``score`` and ``doctor`` need about it.

    ``fingerprint`` says what produced a cell (for instance model and template):
    a stored cell whose fingerprint differs from the policy's is computed again.
    ``endpoints`` counts what each server did so far; ``load`` is a few words for a
    progress bar (the current in-flight limit), or ``None``.
    """

    policy: Policy | AsyncPolicy
    kind: str
    fingerprint: Mapping[str, str | None]
    diagnose: Callable[[], Diagnosis]
    api_key_env: str | None = None
    close: Callable[[], None] = _nothing_to_close
    endpoints: Callable[[], tuple[EndpointStats, ...]] = _no_endpoints
    load: Callable[[], str | None] = _no_load


    endpoint: str | None = None
    """Policies with the same endpoint (address, model and the settings a probe depends on)
    are probed once at the start of a run; ``None``: nothing to probe (in-process)."""
    probe: Callable[[], Awaitable[EndpointProbe]] | None = None
    fingerprint_tolerance: float = 0.0
    """How far a stored ``PROBE_LOG_PROB`` may be from the fingerprint's (set by the run's probe)."""

    @property
    def name(self) -> str:
        """The policy's name in the config."""
        return self.policy.name


@final
@attrs.frozen(kw_only=True)
class PolicySettings:
    """What a backend builds a policy from: its name, its checked options, where the config lives."""

    name: str
    options: Mapping[str, object]
    folder: Path
    """The config file's folder: relative file names in options are resolved against it."""


@final
@attrs.frozen(kw_only=True)
class Backend:
    """One backend kind: the config fields it accepts and how it builds a policy from them."""

    kind: str
    fields: Mapping[str, object]
    """Config key -> the type its value must have (any type ``msgspec.convert`` accepts)."""
    required: frozenset[str]
    build: Callable[[PolicySettings], Result[ConfiguredPolicy, str]]

    ineffective: Callable[[Mapping[str, object]], tuple[tuple[str, str], ...]] = _nothing_ineffective
    """The options that cannot take effect together with the others, each with why (a config error)."""

    def checked(self, options: Mapping[str, object], prefix: str = "") -> Result[dict[str, object], str]:
        """The options converted to their field types, or what is wrong with the first bad one."""
        return check_options(options, self.fields, prefix)


def check_options(
    options: Mapping[str, object], fields: Mapping[str, object], prefix: str = ""
) -> Result[dict[str, object], str]:
    """Each option converted to its field's type (strictly: a boolean is not a number); a
    problem names the option by its path (``prefix`` plus the key).

    >>> check_options({"timeout": 3}, {"timeout": float})
    <Success: {'timeout': 3.0}>
    >>> check_options({"timeout": True}, {"timeout": float}, "policies.t.")
    <Failure: policies.t.timeout must be a number, got true>
    """
    converted: dict[str, object] = {}
    for key, value in options.items():
        match sealed(convert_option(prefix + key, value, fields[key])):
            case Success(done):
                converted[key] = done
            case Failure(reason):
                return Failure(reason)
    return Success(converted)


def fields_of(
    cls: type,
    *,
    exclude: frozenset[str] = frozenset({"name"}),
    config_types: Mapping[str, object] | None = None,
    extra: Mapping[str, object] | None = None,
) -> tuple[dict[str, object], frozenset[str]]:
    """The config fields of an attrs class (its init arguments and their types) and the required ones.

    ``config_types`` replaces the type of a field whose config form differs (a
    template given by name); ``extra`` adds keys that exist only in the config.

    >>> @attrs.frozen
    ... class Echo:
    ...     name: str
    ...     url: str
    ...     timeout: float = 60.0
    >>> fields_of(Echo)
    ({'url': <class 'str'>, 'timeout': <class 'float'>}, frozenset({'url'}))
    """
    hints = typing.get_type_hints(cls, include_extras=True)
    overrides = config_types or {}
    fields: dict[str, object] = {}
    required: set[str] = set()
    for field in attrs.fields(cls):
        key = field.alias
        if not field.init or key in exclude:
            continue
        fields[key] = overrides.get(key, hints[field.name])
        if field.default is attrs.NOTHING:
            required.add(key)
    fields.update(extra or {})
    return fields, frozenset(required)


def _module_name(kind: str) -> str:
    return kind.replace("-", "_")


def backend_kinds() -> tuple[str, ...]:
    """Every backend kind, sorted, found without importing any of them."""
    return tuple(sorted(info.name.replace("_", "-") for info in pkgutil.iter_modules(_kinds.__path__)))


def resolve_backend(kind: str) -> Result[Backend, str]:
    """The backend of ``kind``, importing its module now; or why there is none."""
    known = backend_kinds()
    if kind not in known:
        return Failure(f"unknown backend kind {kind!r}; known: {', '.join(known)}")
    module = importlib.import_module(f"{_kinds.__name__}.{_module_name(kind)}")
    backend = getattr(module, "BACKEND", None)
    if not isinstance(backend, Backend) or backend.kind != kind:
        return Failure(f"{module.__name__} does not define BACKEND = Backend(kind={kind!r}, ...)")
    return Success(backend)
