"""What importing a piece of cje_fp loads: the light parts stay light.

mypy imports the plugin ``cje_fp.contrib.mypy`` through the package, and a user who only
needs ``sealed`` should not pay for numpy, scipy or an HTTP client.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "scipy", "aiohttp", "jinja2", "msgspec", "tenacity", "rich", "matplotlib")


def _loaded_after(statement: str) -> set[str]:
    probe = f"import sys\n{statement}\nimport json; print(json.dumps(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in json.loads(output)}


@pytest.mark.parametrize(
    ("statement", "allowed"),
    [
        ("import cje_fp; cje_fp.sealed", set()),
        ("import cje_fp.contrib.mypy", set()),
        ("import cje_fp.errors", set()),
        ("import cje_fp.policy", {"tenacity"}),
        ("import cje_fp.scoring, cje_fp.io, cje_fp.estimation", {"tenacity", "numpy", "scipy", "msgspec"}),
        ("import cje_fp; cje_fp.estimate; cje_fp.load_dataset", {"tenacity", "numpy", "scipy", "msgspec"}),
    ],
)
def test_light_imports_load_nothing_heavy(statement: str, allowed: set[str]) -> None:
    heavy = _loaded_after(statement) & set(HEAVY)
    assert heavy <= allowed, f"{statement!r} loaded {sorted(heavy - allowed)}"


def test_the_top_level_list_is_short_and_every_name_resolves() -> None:
    import cje_fp

    assert 20 <= len(cje_fp.__all__) <= 30
    for name in cje_fp.__all__:
        assert getattr(cje_fp, name) is not None
    with pytest.raises(AttributeError):
        missing = "no_such_name"
        getattr(cje_fp, missing)
