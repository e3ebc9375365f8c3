"""Type tests run mypy in a temporary directory with a merged copy of mypy.ini, so the
config's ``$MYPY_CONFIG_FILE_DIR/typings`` no longer points at our stubs: pass them on
through MYPYPATH, which pytest-mypy-plugins forwards to its mypy subprocesses."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pytest

_TYPINGS = str(Path(__file__).resolve().parents[2] / "typings")
if _TYPINGS not in os.environ.get("MYPYPATH", "").split(os.pathsep):
    os.environ["MYPYPATH"] = os.pathsep.join(filter(None, [_TYPINGS, os.environ.get("MYPYPATH")]))

# The held-out user programs are data for test_user_programs.py: mypy checks them there,
# with the README configuration; pytest must not import them.
collect_ignore = ["corpus"]


def pytest_configure(config: pytest.Config) -> None:
    """Give this checkout its own mypy cache for the type tests.

    pytest-mypy-plugins runs mypy under ``tempfile.gettempdir()`` with the cache in
    ``/tmp/.mypy_cache``, shared by every checkout on the machine: another worktree's
    cached ``cje_fp`` modules then crash mypy ("Cannot find component ..."). The base
    directory is named after this checkout, so the cache is still reused between runs.
    """
    checkout = hashlib.sha256(str(Path(__file__).resolve().parents[2]).encode()).hexdigest()[:12]
    base = Path(tempfile.gettempdir()) / f"cje-fp-typesafety-{checkout}"
    base.mkdir(exist_ok=True)
    config.option.mypy_testing_base = str(base)
