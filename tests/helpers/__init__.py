"""Test helpers shared between test modules (the one place for them)."""
