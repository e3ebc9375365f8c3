"""Type tests run mypy in a temporary directory with a merged copy of mypy.ini, so the
config's ``$MYPY_CONFIG_FILE_DIR/typings`` no longer points at our stubs: pass them on
through MYPYPATH, which pytest-mypy-plugins forwards to its mypy subprocesses."""

from __future__ import annotations

import os
from pathlib import Path

_TYPINGS = str(Path(__file__).resolve().parents[2] / "typings")
if _TYPINGS not in os.environ.get("MYPYPATH", "").split(os.pathsep):
    os.environ["MYPYPATH"] = os.pathsep.join(filter(None, [_TYPINGS, os.environ.get("MYPYPATH")]))

# The held-out user programs are data for test_user_programs.py: mypy checks them there,
# with the README configuration; pytest must not import them.
collect_ignore = ["corpus"]
