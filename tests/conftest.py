"""pytest configuration; the shared helpers live in ``tests.helpers`` (re-exported here for older imports)."""

from tests.helpers.results import error_of, value_of

__all__ = ["error_of", "value_of"]
