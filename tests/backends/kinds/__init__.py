"""Tests of `cje_fp.backends._kinds`, one module per library module."""
