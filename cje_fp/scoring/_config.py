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

The key itself never appears in the config: only the variable's name.
"""

from __future__ import annotations

import tomllib
from functools import partial
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.backends.openai import from_jinja
from cje_fp.cli.outcome import ExitCode, Problem
from cje_fp.errors import sealed

_POLICY_KEYS: Final = {
    "base_url": str,
    "model": str,
    "api_key_env": str,
    "timeout": (int, float),
    "temperature": (int, float),
    "template": str,
    "template_file": str,
    "template_end_of_turn": str,
    "system_prompt": str,
    "score_end_of_turn": bool,
    "max_tokens": int,
    "two_request_fallback": bool,
    "max_in_flight": int,
    "batch_size": int,
    "batch_wait": (int, float),
}
_RETRY_KEYS: Final = {"max_attempts": int, "deadline": (int, float), "max_retry_after": (int, float)}
_RUN_KEYS: Final = {"max_concurrency": int}
_TOP_KEYS: Final = {"base_policy", "defaults", "retry", "run", "policies"}


@attrs.frozen(kw_only=True)
class RetrySettings:
    """How ``retrying`` wraps every policy."""

    max_attempts: int = attrs.field(default=5, validator=attrs.validators.ge(1))
    deadline: float = attrs.field(default=120.0, validator=attrs.validators.gt(0))
    max_retry_after: float = attrs.field(default=60.0, validator=attrs.validators.ge(0))


@attrs.frozen(kw_only=True, eq=False)
class ScoreConfig:
    """A parsed config: the policies (base first), retries and concurrency."""

    path: Path
    base_policy: str
    policies: tuple[OpenAICompatiblePolicy, ...]
    retry: RetrySettings
    max_concurrency: int

    def close(self) -> None:
        """Close every policy's connections."""
        for policy in self.policies:
            policy.close()


def _usage(path: Path, message: str) -> Failure[Problem]:
    return Failure(Problem(code=ExitCode.USAGE, message=f"{path}: {message}"))


def _checked(path: Path, section: str, table: Any, allowed: Mapping[str, Any]) -> Result[dict[str, Any], Problem]:
    if not isinstance(table, dict):
        return _usage(path, f"[{section}] must be a table")
    for key, value in table.items():
        if key not in allowed:
            return _usage(path, f"[{section}] has an unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")
        expected = allowed[key]
        if isinstance(value, bool) and expected is not bool:
            return _usage(path, f"[{section}] {key} must not be a boolean")
        if not isinstance(value, expected):
            names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
            return _usage(path, f"[{section}] {key} must be {names}, got {value!r}")
    return Success(dict(table))


def _policy(path: Path, name: str, settings: dict[str, Any]) -> Result[OpenAICompatiblePolicy, Problem]:
    for required in ("base_url", "model"):
        if required not in settings:
            return _usage(path, f"policy {name!r} needs {required!r} (in [policies.{name}] or [defaults])")
    options = dict(settings)
    template_file = options.pop("template_file", None)
    end_of_turn = options.pop("template_end_of_turn", None)
    if template_file is not None:
        if "template" in options:
            return _usage(path, f"policy {name!r} sets both template and template_file")
        if end_of_turn is None:
            return _usage(path, f"policy {name!r}: template_file needs template_end_of_turn")
        source = path.parent / template_file
        if not source.is_file():
            return _usage(path, f"policy {name!r}: template_file {source} does not exist")
        options["template"] = from_jinja(source.read_text(), name=Path(template_file).stem, end_of_turn=end_of_turn)
    try:
        return Success(OpenAICompatiblePolicy(name=name, **options))
    except (ValueError, TypeError) as error:
        return _usage(path, f"policy {name!r}: {error}")


def _sections(path: Path, document: dict[str, Any]) -> Result[dict[str, dict[str, Any]], Problem]:
    sections: dict[str, dict[str, Any]] = {}
    for section, allowed in (("defaults", _POLICY_KEYS), ("retry", _RETRY_KEYS), ("run", _RUN_KEYS)):
        match sealed(_checked(path, section, document.get(section, {}), allowed)):
            case Success(table):
                sections[section] = table
            case Failure(problem):
                return Failure(problem)
    return Success(sections)


def _merged_policy(
    path: Path, name: str, defaults: dict[str, Any], own: dict[str, Any]
) -> Result[OpenAICompatiblePolicy, Problem]:
    return _policy(path, name, {**defaults, **own})


def _policies(
    path: Path, base: str, declared: dict[str, Any], defaults: dict[str, Any]
) -> Result[tuple[OpenAICompatiblePolicy, ...], Problem]:
    policies: list[OpenAICompatiblePolicy] = []
    for name in [base, *sorted(set(declared) - {base})]:
        built = _checked(path, f"policies.{name}", declared[name], _POLICY_KEYS).bind(
            partial(_merged_policy, path, name, defaults)
        )
        match sealed(built):
            case Success(policy):
                policies.append(policy)
            case Failure(problem):
                for policy in policies:
                    policy.close()
                return Failure(problem)
    return Success(tuple(policies))


def load_config(path: Path) -> Result[ScoreConfig, Problem]:
    """Parse and check ``path``; every problem is a usage problem naming the key."""
    if not path.is_file():
        return _usage(path, "no such config file")
    try:
        document = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        return _usage(path, f"not valid TOML: {error}")
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        return _usage(path, f"unknown top-level keys {unknown}; allowed: {sorted(_TOP_KEYS)}")
    declared = document.get("policies")
    if not isinstance(declared, dict) or len(declared) < 2:
        return _usage(path, "[policies] must declare the base policy and at least one target policy")
    base = document.get("base_policy")
    if not isinstance(base, str) or base not in declared:
        return _usage(path, f"base_policy must name one of the policies {sorted(declared)}, got {base!r}")
    return _sections(path, document).bind(partial(_assemble, path, base, declared))


def _assemble(
    path: Path, base: str, declared: dict[str, Any], sections: dict[str, dict[str, Any]]
) -> Result[ScoreConfig, Problem]:
    try:
        retry = RetrySettings(**sections["retry"])
    except ValueError as error:
        return _usage(path, f"[retry]: {error}")
    max_concurrency = sections["run"].get("max_concurrency", 64)
    if max_concurrency < 1:
        return _usage(path, "[run] max_concurrency must be at least 1")
    return _policies(path, base, declared, sections["defaults"]).map(
        lambda policies: ScoreConfig(
            path=path,
            base_policy=base,
            policies=policies,
            retry=retry,
            max_concurrency=max_concurrency,
        )
    )
