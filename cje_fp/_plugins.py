"""Names of the modules registered in a plugin folder, found without importing anything.

A registry is a folder: every public module (no leading underscore) of
``cje_fp.estimation.estimators`` is one estimator, named after its module with
``-`` for ``_``. Listing the names reads only the folder, so the command
line's ``--help`` and argument checks do not import numpy or scipy.

>>> estimator_names()[:3]
('auto', 'calibrated-ips', 'clipped-ips')
"""

from __future__ import annotations

import pkgutil
from pathlib import Path
from typing import Final

_ROOT: Final = Path(__file__).resolve().parent

#: The folder whose public modules are the estimators.
ESTIMATOR_PACKAGE: Final = "cje_fp.estimation.estimators"


def plugin_modules(package: str) -> tuple[str, ...]:
    """The public module names of a ``cje_fp`` subpackage, sorted, without importing it."""
    folder = _ROOT.joinpath(*package.split(".")[1:])
    return tuple(sorted(module.name for module in pkgutil.iter_modules([str(folder)]) if not module.name.startswith("_")))


def estimator_names() -> tuple[str, ...]:
    """Every registered estimator's name, sorted."""
    return tuple(module.replace("_", "-") for module in plugin_modules(ESTIMATOR_PACKAGE))
