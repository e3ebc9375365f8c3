"""Tests of `cje_fp.io`, one module per library module."""
