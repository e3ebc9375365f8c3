"""Shared test helpers live in ``tests.helpers``; these names stay importable from here."""

from __future__ import annotations

from tests.helpers.results import error_of as error_of, value_of as value_of
