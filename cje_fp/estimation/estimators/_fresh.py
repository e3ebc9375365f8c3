"""The fresh-draw estimators' shared class: one registry entry per fresh-draw estimator name.

Each runs ``fresh_estimate`` (audits, the estimator, its interval) on
``context.extra.fresh`` and returns an ``OwnedRun``; without fresh draws it
refuses with ``NoFreshDraws``. The logged-data overlap and missingness gates do
not apply to it (``inputs = "fresh-draws"``): DR and TMLE gate their weights
on the labelled rows themselves, and stacked-dr goes on without them.
"""

from __future__ import annotations

from typing import ClassVar, final

import attrs
from returns.result import Failure, Result

from cje_fp.estimation._audit_records import NoFreshDraws
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation._fresh_api import FreshDiagnostics, fresh_estimate
from cje_fp.estimation._fresh_run import FreshEstimatorName, FreshRun
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._protocol import EstimatorContext, EstimatorInputs, EstimatorRun, OwnedRun


@final
@attrs.frozen
class FreshEstimator:
    """A fresh-draw estimator: the name ``run_fresh`` knows, and a line for the docs."""

    name: FreshEstimatorName
    summary: str
    normalisation: ClassVar[WeightNormalisation] = "self-normalised"
    inputs: ClassVar[EstimatorInputs] = "fresh-draws"

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun | OwnedRun, EstimationError]:
        fresh = context.extra.fresh
        if fresh is None:
            return Failure(NoFreshDraws(target=context.target, available=()))
        options = attrs.evolve(
            fresh.options, level=context.level, allow_flagged=context.allow_flagged, gates=context.config.gates
        )
        found = fresh_estimate(context.dataset, fresh, context.target, self.name, options, context.config)
        return found.map(lambda pair: _owned(*pair))


def _owned(run: FreshRun, diagnostics: FreshDiagnostics) -> EstimatorRun | OwnedRun:
    return OwnedRun(
        run=run.run,
        interval=run.interval,
        n_used=diagnostics.n_draws,
        n_clusters=diagnostics.n_prompts,
        diagnostics=diagnostics,
        warnings=run.warnings,
        flagged=run.flagged,
    )
