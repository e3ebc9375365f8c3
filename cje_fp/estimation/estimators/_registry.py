"""The estimator registry: every public module of this package is one estimator.

A name resolves to the module's ``ESTIMATOR`` (imported on first use); the
names, ``EstimatorName``'s values, the command line's ``--estimator`` choices,
the JSON report and the README's estimator list all come from here, so adding
an estimator is one new module (plus its tests).

A module's ``ESTIMATOR`` is an ``Estimator`` or a ``Chooser`` (``auto``), which
stands for registered estimators chosen by whether fresh draws are given.

>>> ESTIMATORS
('auto', 'calibrated-ips', 'clipped-ips', 'clipped-snips', 'direct', 'dr', 'ips', 'snips', 'stacked-dr', 'tmle')
>>> lookup_estimator("clipped-ips").map(lambda found: found.normalisation)
<Success: unnormalised>
>>> lookup_estimator("auto", fresh_draws=True).map(lambda found: (found.name, found.inputs))
<Success: ('stacked-dr', 'fresh-draws')>
>>> resolve_estimators(["auto", "ips"], fresh_draws=False)
('calibrated-ips', 'snips', 'ips')
>>> lookup_estimator("magic").alt(lambda error: error.reason[:40])
<Failure: 'magic' is not one of ['auto', 'calibrat>
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Final, TypeAlias

from returns.result import Failure, Result, Success

from cje_fp._plugins import ESTIMATOR_PACKAGE, estimator_names
from cje_fp.estimation._errors import InvalidOption
from cje_fp.estimation.estimators._protocol import Chooser, Estimator

EstimatorName: TypeAlias = str
"""The name of a registered estimator (one of ``ESTIMATORS``); any other name is refused with
``InvalidOption`` by ``estimate``."""

ESTIMATORS: Final[tuple[EstimatorName, ...]] = estimator_names()
"""Every registered estimator, sorted by name."""


def _load(name: EstimatorName) -> Estimator | Chooser:
    module = importlib.import_module(f"{ESTIMATOR_PACKAGE}.{name.replace('-', '_')}")
    found = getattr(module, "ESTIMATOR", None)
    if not isinstance(found, Estimator | Chooser) or found.name != name:
        raise TypeError(f"{module.__name__} must define ESTIMATOR, an Estimator or Chooser named {name!r}")
    return found


def lookup_estimator(name: str, *, fresh_draws: bool = False) -> Result[Estimator, InvalidOption]:
    """The estimator registered under ``name`` (a chooser's preferred one, given whether fresh draws
    exist), or ``InvalidOption`` naming the ones there are."""
    if name not in ESTIMATORS:
        return Failure(InvalidOption(option="estimator", reason=f"{name!r} is not one of {list(ESTIMATORS)}"))
    found = _load(name)
    if isinstance(found, Estimator):
        return Success(found)
    return lookup_estimator(found.choose(fresh_draws)[0], fresh_draws=fresh_draws)


def resolve_estimators(names: Sequence[str], *, fresh_draws: bool) -> tuple[EstimatorName, ...]:
    """``names`` with every chooser replaced by all it stands for (unknown names kept, repeats dropped)."""
    resolved: list[EstimatorName] = []
    for name in names:
        found = _load(name) if name in ESTIMATORS else None
        expanded = found.choose(fresh_draws) if isinstance(found, Chooser) else (name,)
        resolved.extend(item for item in expanded if item not in resolved)
    return tuple(resolved)


def registered_estimators() -> tuple[Estimator | Chooser, ...]:
    """Every registered estimator and chooser (importing each module)."""
    return tuple(_load(name) for name in ESTIMATORS)


def estimators_for(*, fresh_draws: bool) -> tuple[EstimatorName, ...]:
    """Every registered estimator (no chooser) that can run on logged rows, and with fresh draws
    when they are given."""
    return tuple(
        found.name
        for found in registered_estimators()
        if isinstance(found, Estimator) and (fresh_draws or found.inputs == "logged")
    )


def _kind(found: Estimator | Chooser) -> str:
    if isinstance(found, Estimator):
        return found.normalisation if found.inputs == "logged" else found.inputs
    return "chooses"


def estimators_markdown() -> str:
    """The registry as a Markdown list (the README's estimator section is this text)."""
    return "\n".join(f"- `{found.name}` ({_kind(found)}): {found.summary}" for found in registered_estimators())
