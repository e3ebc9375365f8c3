"""Optional extras: import one, or raise an ``ImportError`` that names the extra to install.

A missing extra is a broken environment, not an expected failure of the data: the
message says what to run (``pip install "cje-fp[pandas]"``).

>>> require_extra("json", extra="none", purpose="this example")
>>> try:
...     require_extra("no_such_package_cje_fp", extra="pandas", purpose="to_frame()")
... except MissingExtra as error:
...     print(error)
to_frame() needs no_such_package_cje_fp, an optional extra: pip install "cje-fp[pandas]"
"""

from __future__ import annotations

import importlib


class MissingExtra(ImportError):
    """An optional extra is not installed; the message names the ``pip install`` that adds it."""


def require_extra(package: str, *, extra: str, purpose: str) -> None:
    """Import ``package`` or raise ``MissingExtra`` naming ``extra``."""
    try:
        importlib.import_module(package)
    except ImportError as error:
        raise MissingExtra(
            f'{purpose} needs {package}, an optional extra: pip install "cje-fp[{extra}]"'
        ) from error
