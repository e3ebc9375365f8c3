"""Optional parts of the test suite: skipped with the reason shown when absent, failed under CI.

``CJE_FP_REQUIRE_ALL=1`` (set by ``.ci/run``) turns every such skip into a failure, so CI
never passes by skipping what it was meant to check. The Arena sample is found through
``CJE_FP_ARENA_DIR`` or at ``../shared/data/arena_sample`` beside the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REQUIRE_ALL_VARIABLE = "CJE_FP_REQUIRE_ALL"
ARENA_VARIABLE = "CJE_FP_ARENA_DIR"
ARENA_SOURCE = (
    "the CJE project's examples/arena_sample of release 0.3.0 (MIT); see the README's "
    "'The Arena sample' for the git line that fetches it"
)


def require(available: bool, what: str, how: str) -> None:
    """Skip the calling test (fail it under ``CJE_FP_REQUIRE_ALL=1``) unless ``available``."""
    if available:
        return
    reason = f"{what} is not available: {how}"
    if os.environ.get(REQUIRE_ALL_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ALL_VARIABLE}=1 turns this skip into a failure)")
    pytest.skip(reason)


def arena_dir() -> Path:
    """The Arena sample's folder, or skip (fail under CI) naming where it comes from."""
    configured = os.environ.get(ARENA_VARIABLE)
    path = Path(configured) if configured else ROOT.parent / "shared" / "data" / "arena_sample"
    require(
        (path / "logged_data.jsonl").is_file(),
        "the Arena sample",
        f"expected {path}/logged_data.jsonl (set {ARENA_VARIABLE}, or place it at ../shared/data/arena_sample); "
        f"it is {ARENA_SOURCE}",
    )
    return path
