"""Where the repository and the shared Arena sample are (the sample is read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARENA = ROOT.parent / "shared" / "data" / "arena_sample"


def arena_file(name: str = "logged_data.jsonl") -> Path:
    """A file of the Arena sample; fails the test (never skips) when the sample is missing."""
    path = ARENA / name
    if not path.is_file():
        pytest.fail(f"the arena sample is missing: expected {path} (../shared/data/arena_sample from the repo root)")
    return path
