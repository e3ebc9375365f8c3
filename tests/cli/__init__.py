"""Tests of `cje_fp.cli`, one module per library module."""
