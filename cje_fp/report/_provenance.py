"""What a report records about how it was made: data hash, versions, seeds, config."""

from __future__ import annotations

import hashlib
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

_PACKAGES = ("cje-fp", "numpy", "scipy", "returns", "attrs", "tenacity", "msgspec")


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def versions() -> dict[str, str]:
    """Python's and the scientific stack's versions."""
    found = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def manifest(**sections: Any) -> dict[str, Any]:
    """A provenance manifest: the given sections plus versions, argv and time."""
    return {
        **sections,
        "versions": versions(),
        "argv": sys.argv[1:],
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
