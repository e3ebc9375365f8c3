"""Rules the library holds itself to, checked over its source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import cje_fp

PACKAGE = Path(cje_fp.__file__).parent
UNWRAPPING = {"unwrap", "failure", "unsafe_perform_io"}


def _library_files() -> list[Path]:
    return sorted(path for path in PACKAGE.rglob("*.py") if "contrib" not in path.parts)


def _unwrapping_sites(source: str, filename: str) -> list[str]:
    sites = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Attribute) and node.attr in UNWRAPPING:
            sites.append(f"{filename}:{node.lineno} .{node.attr}")
        if isinstance(node, ast.Name) and node.id in UNWRAPPING:
            sites.append(f"{filename}:{node.lineno} {node.id}")
        if isinstance(node, ast.Constant) and node.value in UNWRAPPING:
            sites.append(f"{filename}:{node.lineno} {node.value!r}")
    return sites


def test_the_ast_check_finds_what_the_plugin_cannot() -> None:
    blind_spots = "method = result.unwrap\nvalue = getattr(result, 'failure')()\n"
    assert len(_unwrapping_sites(blind_spots, "example.py")) == 2


def test_no_unwrap_or_failure_inside_the_library() -> None:
    sites = [site for path in _library_files() for site in _unwrapping_sites(path.read_text(), str(path))]
    assert sites == []


def test_public_names_resolve_and_match_the_typed_imports() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    typed = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cje_fp.")
        for alias in node.names
    }
    assert typed == set(cje_fp.__all__)
    for name in cje_fp.__all__:
        assert getattr(cje_fp, name) is not None


def test_the_mypy_plugin_imports_without_numpy() -> None:
    code = "import sys, cje_fp.contrib.mypy; print('numpy' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


def test_no_public_name_is_shadowed_by_a_submodule() -> None:
    submodules = {path.stem for path in PACKAGE.iterdir() if path.suffix == ".py" or (path / "__init__.py").exists()}
    assert set(cje_fp.__all__) & submodules == set()
