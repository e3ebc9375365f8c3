"""Tools hold the style: ruff, the layer contract, small modules with a docstring, explained noqa."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = sorted((ROOT / "cje_fp").rglob("*.py"))
MAX_LINES = 400
NOQA = re.compile(r"#\s*noqa\b(?P<rest>.*)$")
EXPLAINED_NOQA = re.compile(r"^:\s*[A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*\s+(?:#|-)\s*\S")


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[dev]'")
    return path


def test_ruff_passes() -> None:
    result = subprocess.run(
        [_tool("ruff"), "check", "cje_fp", "tests", "benchmarks", "examples"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_layer_contract_holds() -> None:
    result = subprocess.run([_tool("lint-imports")], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", LIBRARY, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_module_is_small_and_names_its_idea(path: Path) -> None:
    text = path.read_text()
    assert text.count("\n") <= MAX_LINES, f"{path.name} has {text.count(chr(10))} lines (> {MAX_LINES})"
    if text.strip():
        assert ast.get_docstring(ast.parse(text)), f"{path.name} has no module docstring"


def test_every_noqa_names_its_codes_and_a_reason() -> None:
    unexplained = []
    for path in [*LIBRARY, *sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "benchmarks").rglob("*.py"))]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            found = NOQA.search(line)
            if found and not EXPLAINED_NOQA.match(found.group("rest")):
                unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unexplained, "\n".join(unexplained)
