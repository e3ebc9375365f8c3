"""pytest configuration; the shared helpers live in ``tests.helpers`` (re-exported here for older imports)."""

from tests.helpers import error_of as error_of, value_of as value_of
