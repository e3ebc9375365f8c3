"""Tests of `cje_fp.scoring`, one module per library module."""
