"""The backend registry: kinds found without importing them, resolved lazily, fields checked strictly."""

from __future__ import annotations

import subprocess
import sys
from typing import Literal

import attrs
import pytest

from cje_fp.backends._registry import (
    backend_kinds,
    check_options,
    fields_of,
    resolve_backend,
)
from tests.helpers.results import error_of, value_of


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(output.stdout.split())


def test_listing_kinds_imports_none_of_them() -> None:
    loaded = _modules_after("from cje_fp.backends._registry import backend_kinds\nassert 'tabular' in backend_kinds()")
    assert not any(name.startswith("cje_fp.backends._kinds.") for name in loaded)
    assert "aiohttp" not in loaded


def test_resolving_a_kind_imports_that_kind_only() -> None:
    loaded = _modules_after("from cje_fp.backends._registry import resolve_backend\nresolve_backend('tabular')")
    assert "cje_fp.backends._kinds.tabular" in loaded
    assert "cje_fp.backends._kinds.openai_compatible" not in loaded and "aiohttp" not in loaded


def test_every_kind_resolves_to_a_backend_of_that_kind() -> None:
    for kind in backend_kinds():
        backend = value_of(resolve_backend(kind))
        assert backend.kind == kind and backend.required <= set(backend.fields)


def test_an_unknown_kind_names_the_known_ones() -> None:
    assert error_of(resolve_backend("openai")) == f"unknown backend kind 'openai'; known: {', '.join(backend_kinds())}"


@attrs.frozen
class _Example:
    name: str
    url: str
    tokens: Literal[0, 1] = 0
    _secret: str = "x"
    cache: dict[str, str] = attrs.field(init=False, factory=dict)


def test_fields_are_derived_from_the_init_arguments() -> None:
    fields, required = fields_of(_Example, config_types={"url": str | int}, extra={"file": str})
    assert fields == {"url": str | int, "tokens": Literal[0, 1], "secret": str, "file": str}
    assert required == {"url"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "p.tokens must be a whole number, got true"),
        ("1", "p.tokens must be a whole number, got '1'"),
        (2, "p.tokens must be one of 0, 1, got 2"),
    ],
)
def test_options_are_checked_strictly(value: object, expected: str) -> None:
    fields = {"tokens": Literal[0, 1] if value == 2 else int}
    assert error_of(check_options({"tokens": value}, fields, "p.")) == expected
