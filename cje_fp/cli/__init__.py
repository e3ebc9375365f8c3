"""The ``cje-fp`` command: demo, score, estimate, validate, doctor."""

from cje_fp.cli.main import main

__all__ = ["main"]
