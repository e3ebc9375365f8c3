"""The estimator registry: every public module of this package is one estimator.

A name resolves to the module's ``ESTIMATOR`` (imported on first use); the
names, ``EstimatorName``'s values, the command line's ``--estimator`` choices,
the JSON report and the README's estimator list all come from here, so adding
an estimator is one new module (plus its tests).

>>> ESTIMATORS
('calibrated-ips', 'clipped-ips', 'clipped-snips', 'ips', 'snips')
>>> lookup_estimator("clipped-ips").map(lambda found: found.normalisation)
<Success: unnormalised>
>>> lookup_estimator("magic").alt(lambda error: error.describe())
<Failure: invalid_option: estimator: 'magic' is not one of ['calibrated-ips', 'clipped-ips', 'clipped-snips', 'ips', 'snips']>
"""

from __future__ import annotations

import importlib
from typing import Final, TypeAlias

from returns.result import Failure, Result, Success

from cje_fp._plugins import ESTIMATOR_PACKAGE, estimator_names
from cje_fp.estimation._errors import InvalidOption
from cje_fp.estimation.estimators._protocol import Estimator

EstimatorName: TypeAlias = str
"""The name of a registered estimator (one of ``ESTIMATORS``); any other name is refused with
``InvalidOption`` by ``estimate``."""

ESTIMATORS: Final[tuple[EstimatorName, ...]] = estimator_names()
"""Every registered estimator, sorted by name."""


def _load(name: EstimatorName) -> Estimator:
    module = importlib.import_module(f"{ESTIMATOR_PACKAGE}.{name.replace('-', '_')}")
    found = getattr(module, "ESTIMATOR", None)
    if not isinstance(found, Estimator) or found.name != name:
        raise TypeError(f"{module.__name__} must define ESTIMATOR, an Estimator named {name!r}")
    return found


def lookup_estimator(name: str) -> Result[Estimator, InvalidOption]:
    """The estimator registered under ``name``, or ``InvalidOption`` naming the ones there are."""
    if name not in ESTIMATORS:
        return Failure(InvalidOption(option="estimator", reason=f"{name!r} is not one of {list(ESTIMATORS)}"))
    return Success(_load(name))


def registered_estimators() -> tuple[Estimator, ...]:
    """Every registered estimator (importing each module)."""
    return tuple(_load(name) for name in ESTIMATORS)


def estimators_markdown() -> str:
    """The registry as a Markdown list (the README's estimator section is this text)."""
    return "\n".join(
        f"- `{estimator.name}` ({estimator.normalisation}): {estimator.summary}" for estimator in registered_estimators()
    )
