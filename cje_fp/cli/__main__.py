"""``python -m cje_fp.cli``: the same as the ``cje-fp`` command."""

from cje_fp.cli.main import entry_point

entry_point()
