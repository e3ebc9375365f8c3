"""Helpers shared by the test modules: one place, imported as ``tests.helpers.<module>``."""
