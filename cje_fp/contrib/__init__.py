"""Integrations with other tools (the mypy plugin)."""
