"""Tests of `cje_fp.backends`, one module per library module."""
