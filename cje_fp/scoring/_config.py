"""The TOML config of ``cje-fp score`` and ``cje-fp doctor``.

::

    base_policy = "base"

    [defaults]                    # shared by every policy unless it overrides them
    base_url = "http://127.0.0.1:8000/v1"
    api_key_env = "FIREWORKS_API_KEY"   # the *name* of the variable holding the key
    template = "llama3"           # llama3 | chatml | mistral; or template_file = "chat.jinja"
    timeout = 60                  # seconds per request
    max_in_flight = 64            # requests in flight per policy
    batch_size = 8                # prompts per request

    [retry]
    max_attempts = 5
    deadline = 120                # seconds, all attempts of one call together

    [run]
    max_concurrency = 256         # cells in flight across policies

    [policies.base]
    model = "llama-3-8b-instruct"

    [policies.unhelpful]
    model = "llama-3-8b-instruct"
    system_prompt = "You are an unhelpful assistant."

Each policy has a backend ``kind`` (``"openai-compatible"`` unless it or
``[defaults]`` says otherwise; see ``cje_fp.backends._registry``), which decides
the keys it accepts; a policy takes the ``[defaults]`` its kind knows. The key
itself never appears in the config: only the variable's name.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "config.toml"
...     _ = path.write_text(
...         'base_policy = "base"\\n[defaults]\\nkind = "tabular"\\n'
...         '[policies.base]\\ntable = {q = {a = -1.0}}\\n[policies.other]\\ntable = {q = {a = -2.0}}\\n'
...     )
...     config = load_config(path)
>>> config.map(lambda loaded: [(policy.name, policy.kind) for policy in loaded.policies])
<Success: [('base', 'tabular'), ('other', 'tabular')]>
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any, Final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends._options import NonNegativeSeconds, PositiveInt, Seconds, conforms
from cje_fp.backends._registry import (
    DEFAULT_KIND,
    Backend,
    ConfiguredPolicy,
    PolicySettings,
    check_options,
    fields_of,
    resolve_backend,
)
from cje_fp.errors import sealed
from cje_fp.scoring._errors import ApiKeysMissing, ConfigInvalid

_TOP_KEYS: Final = {"base_policy", "defaults", "retry", "run", "policies"}
_KIND: Final = "kind"
#: A policy's own key hides these keys of ``[defaults]`` (one server, or replicas).
_HIDES: Final = {"base_urls": "base_url", "base_url": "base_urls"}


@attrs.frozen(kw_only=True)
class RetrySettings:
    """How ``retrying`` wraps every policy."""

    max_attempts: PositiveInt = attrs.field(default=5, validator=conforms(PositiveInt))
    deadline: Seconds = attrs.field(default=120.0, validator=conforms(Seconds))
    max_retry_after: NonNegativeSeconds = attrs.field(default=60.0, validator=conforms(NonNegativeSeconds))


@attrs.frozen(kw_only=True)
class RunSettings:
    """How many cells are in flight across policies."""

    max_concurrency: PositiveInt = attrs.field(default=64, validator=conforms(PositiveInt))


_RETRY_FIELDS: Final = fields_of(RetrySettings, exclude=frozenset())[0]
_RUN_FIELDS: Final = fields_of(RunSettings, exclude=frozenset())[0]


@attrs.frozen(kw_only=True, eq=False)
class ScoreConfig:
    """A parsed config: the policies (base first), retries and concurrency."""

    path: Path
    base_policy: str
    policies: tuple[ConfiguredPolicy, ...]
    retry: RetrySettings
    max_concurrency: int

    def close(self) -> None:
        """Close every policy's connections."""
        for policy in self.policies:
            policy.close()


def _invalid(path: Path, message: str) -> Failure[ConfigInvalid]:
    return Failure(ConfigInvalid(path=str(path), reason=message))


def _table(path: Path, section: str, table: object, allowed: Mapping[str, object]) -> Result[dict[str, Any], ConfigInvalid]:
    """A section whose keys are all allowed and whose values have the allowed types, converted."""
    if not isinstance(table, dict):
        return _invalid(path, f"[{section}] must be a table")
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        allowed_keys = ", ".join(sorted(allowed))
        return _invalid(path, f"{section}.{unknown[0]} is not a known option; allowed in [{section}]: {allowed_keys}")
    return check_options(table, allowed, f"{section}.").alt(partial(_reason, path))


def _reason(path: Path, reason: str) -> ConfigInvalid:
    return ConfigInvalid(path=str(path), reason=reason)


def _settings(
    path: Path, section: str, table: object, cls: type[Any], fields: Mapping[str, object]
) -> Result[Any, ConfigInvalid]:
    def built(options: dict[str, Any]) -> Result[Any, ConfigInvalid]:
        try:
            return Success(cls(**options))
        except ValueError as error:
            return _invalid(path, f"{section}.{error}")

    return _table(path, section, table, fields).bind(built)


def _kind_of(path: Path, name: str, own: dict[str, Any], defaults: dict[str, Any]) -> Result[Backend, ConfigInvalid]:
    kind = own.get(_KIND, defaults.get(_KIND, DEFAULT_KIND))
    if not isinstance(kind, str):
        where = f"policies.{name}" if _KIND in own else "defaults"
        return _invalid(path, f"{where}.kind must be a string naming a backend kind, got {kind!r}")
    return resolve_backend(kind).alt(lambda reason: ConfigInvalid(path=str(path), reason=f"policy {name!r}: {reason}"))


def _ineffective(path: Path, name: str, own: Mapping[str, Any], found: tuple[tuple[str, str], ...]) -> ConfigInvalid:
    """The first option that cannot take effect, named by where it was set."""
    key, why = found[0]
    where = f"policies.{name}.{key}" if key in own else f"defaults.{key} (taken by policy {name!r})"
    return ConfigInvalid(path=str(path), reason=f"{where} cannot take effect: {why}")


def _policy(
    path: Path, name: str, raw: object, defaults: dict[str, Any], backend: Backend
) -> Result[ConfiguredPolicy, ConfigInvalid]:
    """Check ``own`` against the kind's fields, add the defaults it knows, and build the policy."""
    allowed = {**backend.fields, _KIND: str}
    own = raw if isinstance(raw, dict) else {}
    hidden = {_HIDES[key] for key in own if key in _HIDES}
    inherited = {
        key: value for key, value in defaults.items() if key in backend.fields and key not in own and key not in hidden
    }

    def build(checked: dict[str, Any], taken: dict[str, Any]) -> Result[ConfiguredPolicy, ConfigInvalid]:
        options = {key: value for key, value in {**taken, **checked}.items() if key != _KIND}
        missing = sorted(backend.required - set(options))
        if missing:
            return _invalid(path, f"policy {name!r} needs {missing[0]!r} (in [policies.{name}] or [defaults])")
        ineffective = backend.ineffective(options)
        if ineffective:
            return Failure(_ineffective(path, name, own, ineffective))
        settings = PolicySettings(name=name, options=options, folder=path.parent)
        return backend.build(settings).alt(lambda reason: ConfigInvalid(path=str(path), reason=f"policy {name!r}: {reason}"))

    return _table(path, f"policies.{name}", raw, allowed).bind(
        lambda checked: backend.checked(inherited, "defaults.")
        .alt(partial(_reason, path))
        .bind(lambda taken: build(checked, taken))
    )


def _close(policies: list[ConfiguredPolicy]) -> None:
    for policy in policies:
        policy.close()


def _policies(
    path: Path, base: str, declared: dict[str, Any], defaults: dict[str, Any]
) -> Result[tuple[ConfiguredPolicy, ...], ConfigInvalid]:
    policies: list[ConfiguredPolicy] = []
    known: set[str] = {_KIND}
    for name in [base, *sorted(set(declared) - {base})]:
        own = declared[name] if isinstance(declared[name], dict) else {}
        backend = _kind_of(path, name, own, defaults)
        known.update(backend.map(lambda found: set(found.fields)).value_or(set()))
        match sealed(backend.bind(partial(_policy, path, name, declared[name], defaults))):
            case Success(policy):
                policies.append(policy)
            case Failure(problem):
                _close(policies)
                return Failure(problem)
    unknown = sorted(set(defaults) - known)
    if unknown:
        _close(policies)
        return _invalid(path, f"defaults.{unknown[0]} is not a known option: no policy's kind accepts it")
    return Success(tuple(policies))


def load_config(path: Path) -> Result[ScoreConfig, ConfigInvalid]:
    """Parse and check ``path``; every problem names the key (and the policy) it is about."""
    if not path.is_file():
        return _invalid(path, "no such config file")
    try:
        document = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return _invalid(path, f"not valid TOML: {error}")
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        return _invalid(path, f"unknown top-level keys {unknown}; allowed: {sorted(_TOP_KEYS)}")
    declared = document.get("policies")
    if not isinstance(declared, dict) or len(declared) < 2:
        return _invalid(path, "[policies] must declare the base policy and at least one target policy")
    base = document.get("base_policy")
    if not isinstance(base, str) or base not in declared:
        return _invalid(path, f"base_policy must name one of the policies {sorted(declared)}, got {base!r}")
    defaults = document.get("defaults", {})
    if not isinstance(defaults, dict):
        return _invalid(path, "[defaults] must be a table")
    return _settings(path, "retry", document.get("retry", {}), RetrySettings, _RETRY_FIELDS).bind(
        lambda retry: _settings(path, "run", document.get("run", {}), RunSettings, _RUN_FIELDS).bind(
            lambda run: _policies(path, base, declared, defaults).map(
                partial(_assemble, path, base, retry, run)
            )
        )
    )


def _assemble(
    path: Path, base: str, retry: RetrySettings, run: RunSettings, policies: tuple[ConfiguredPolicy, ...]
) -> ScoreConfig:
    return ScoreConfig(path=path, base_policy=base, policies=policies, retry=retry, max_concurrency=run.max_concurrency)


def missing_api_keys(config: ScoreConfig) -> ApiKeysMissing | None:
    """The API key variables the config names that are not set (or empty) in the environment."""
    missing = sorted(
        {
            f"{policy.api_key_env} (for {policy.name})"
            for policy in config.policies
            if policy.api_key_env is not None and not os.environ.get(policy.api_key_env)
        }
    )
    return ApiKeysMissing(variables=tuple(missing)) if missing else None
