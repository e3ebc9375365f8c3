"""Replicate a scenario and tally what an analysis did: covered, confidently wrong, needlessly refused.

A ``Method`` maps one ``ScenarioDraw`` to an ``EstimateTable`` computed with
``allow_flagged=True``, so that a refusal by the gates still carries the number
it withheld: a flagged estimate counts as a **refusal**, and the study records
whether its interval would have covered the truth (refused-but-would-have-
covered is the cost of a needless gate). An estimate reported without a flag
whose interval misses the truth is **confidently wrong**. Other failures
(typed errors, refusals that carry no number) are counted apart.

>>> from cje_fp.simulation._scenarios import scenario_named
>>> scenario = scenario_named("random-labels", scale=0.1)
>>> tally = run_study(scenario, default_method(("snips",)), replications=3, seed=0)
>>> row = tally.rows[("clone", "snips")]
>>> row.attempts, row.reported + row.refused + row.failed
(3, 3)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import attrs
import numpy as np
from returns.result import Failure, Success

from cje_fp.data import MaskedColumn, clustered_by
from cje_fp.errors import sealed
from cje_fp.estimation import (
    REFUSALS,
    EstimateTable,
    EstimationConfig,
    EstimatorName,
    estimate_all,
)
from cje_fp.estimation._label_design import LabelDesign
from cje_fp.simulation._evaluation import EstimatorPerformance, EvaluationReport
from cje_fp.simulation._scenarios import Scenario, ScenarioDraw

Method = Callable[[ScenarioDraw], EstimateTable]
"""An analysis of one draw, run with ``allow_flagged=True``."""


def default_method(estimators: Sequence[EstimatorName], config: EstimationConfig = EstimationConfig()) -> Method:
    """``estimate_all`` as a user calls it (gates decide what is refused; flagged numbers kept for the study)."""

    def analyse(draw: ScenarioDraw) -> EstimateTable:
        return estimate_all(draw.dataset, estimators=estimators, allow_flagged=True, config=config)

    return analyse


def design_method(estimators: Sequence[EstimatorName], design: LabelDesign) -> Method:
    """``estimate_all`` with a declared label design (``known_propensity`` gets the true probabilities)."""

    def analyse(draw: ScenarioDraw) -> EstimateTable:
        dataset = draw.dataset
        if design == "known_propensity":
            dataset = attrs.evolve(dataset, label_propensity=MaskedColumn.complete(draw.label_propensity))
        return estimate_all(dataset, estimators=estimators, allow_flagged=True, label_design=design)

    return analyse


def family_method(estimators: Sequence[EstimatorName]) -> Method:
    """``estimate_all`` with rows clustered by prompt family."""

    def analyse(draw: ScenarioDraw) -> EstimateTable:
        return estimate_all(clustered_by(draw.dataset, draw.families), estimators=estimators, allow_flagged=True)

    return analyse


@attrs.define
class Tally:
    """What happened to one (target, estimator) over the replications."""

    truth: float
    attempts: int = 0
    reported: int = 0
    covered: int = 0
    refused: int = 0
    refused_would_cover: int = 0
    refused_without_number: int = 0
    failed: int = 0
    errors: dict[str, int] = attrs.field(factory=dict)
    refusal_reasons: dict[str, int] = attrs.field(factory=dict)
    reason_coverage: dict[str, list[int]] = attrs.field(factory=dict)
    """Per refusal reason: [times it fired, times the withheld interval covered the truth]."""
    values: list[float] = attrs.field(factory=list)
    ses: list[float] = attrs.field(factory=list)

    @property
    def coverage(self) -> float:
        """Fraction of reported intervals that contain the truth (nan without any)."""
        return self.covered / self.reported if self.reported else math.nan

    @property
    def confidently_wrong(self) -> float:
        """Fraction of attempts reported without a flag whose interval misses the truth."""
        return (self.reported - self.covered) / self.attempts

    @property
    def refusal_rate(self) -> float:
        """Fraction of attempts refused (by a gate or a typed refusal)."""
        return self.refused / self.attempts

    @property
    def needless_refusals(self) -> float:
        """Fraction of attempts refused although the withheld interval covered the truth."""
        return self.refused_would_cover / self.attempts

    @property
    def bias(self) -> float:
        """Mean error of the reported estimates."""
        return float(np.mean(self.values) - self.truth) if self.values else math.nan

    @property
    def sd(self) -> float:
        """Spread of the reported estimates."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else math.nan

    @property
    def mean_se(self) -> float:
        """Mean reported standard error."""
        return float(np.mean(self.ses)) if self.ses else math.nan

    def describe(self) -> str:
        """One line for humans."""
        return (
            f"coverage {self.coverage:.3f} bias {self.bias:+.4f} sd {self.sd:.4f} se {self.mean_se:.4f} "
            f"refused {self.refusal_rate:.3f} (would cover {self.needless_refusals:.3f}) "
            f"confidently wrong {self.confidently_wrong:.3f} failed {self.failed}/{self.attempts}"
        )


@attrs.frozen(kw_only=True)
class StudyResult:
    """Tallies per (target, estimator) for one scenario and method."""

    scenario: str
    rows: Mapping[tuple[str, str], Tally]

    def pooled(self, estimator: str) -> Tally:
        """One tally over every target for ``estimator`` (truth reported as nan)."""
        pooled = Tally(truth=math.nan)
        for (_, name), row in self.rows.items():
            if name != estimator:
                continue
            pooled.attempts += row.attempts
            pooled.reported += row.reported
            pooled.covered += row.covered
            pooled.refused += row.refused
            pooled.refused_would_cover += row.refused_would_cover
            pooled.refused_without_number += row.refused_without_number
            pooled.failed += row.failed
        return pooled

    def describe(self) -> str:
        """A table, one line per pair."""
        return "\n".join(
            f"{self.scenario:>16} {target:>9} {estimator:<15} {row.describe()}"
            for (target, estimator), row in sorted(self.rows.items())
        )


def _reason_key(reason: str) -> str:
    """A refusal reason without its numbers (for counting)."""
    return reason.split(" ")[0] + " " + " ".join(word for word in reason.split(" ")[1:4] if not word[:1].isdigit())


def run_study(scenario: Scenario, method: Method, *, replications: int, seed: int) -> StudyResult:
    """Apply ``method`` to ``replications`` draws of ``scenario`` (seeds ``seed``, ``seed + 1``, ...)."""
    truth = scenario.truth
    rows: dict[tuple[str, str], Tally] = {}
    for replication in range(replications):
        table = method(scenario.draw(seed + replication))
        for target, estimator, result in table:
            tally = rows.setdefault((target, estimator), Tally(truth=truth[target]))
            tally.attempts += 1
            match sealed(result):
                case Success(estimate):
                    covers = estimate.ci[0] <= truth[target] <= estimate.ci[1]
                    if estimate.flagged:
                        tally.refused += 1
                        tally.refused_would_cover += int(covers)
                        for reason in (*estimate.diagnostics.gates.refusals, *estimate.diagnostics.missingness.status.refusals):
                            key = _reason_key(reason)
                            tally.refusal_reasons[key] = tally.refusal_reasons.get(key, 0) + 1
                            seen = tally.reason_coverage.setdefault(key, [0, 0])
                            seen[0] += 1
                            seen[1] += int(covers)
                    else:
                        tally.reported += 1
                        tally.covered += int(covers)
                        tally.values.append(estimate.value)
                        tally.ses.append(estimate.se)
                case Failure(error):
                    if isinstance(error, REFUSALS):
                        tally.refused += 1
                        tally.refused_without_number += 1
                    else:
                        tally.failed += 1
                    tally.errors[error.kind] = tally.errors.get(error.kind, 0) + 1
    return StudyResult(scenario=scenario.name, rows=rows)


def _performance(target: str, estimator: EstimatorName, tally: Tally) -> EstimatorPerformance:
    values = np.asarray(tally.values)
    has = values.size > 0
    return EstimatorPerformance(
        target=target,
        estimator=estimator,
        truth=tally.truth,
        replications=tally.attempts,
        n_estimates=tally.reported,
        n_refused=tally.refused,
        n_failed=tally.failed,
        bias=float(np.mean(values - tally.truth)) if has else None,
        rmse=float(math.sqrt(np.mean((values - tally.truth) ** 2))) if has else None,
        coverage=tally.coverage if has else None,
        mean_se=tally.mean_se if has else None,
        sd=tally.sd if values.size > 1 else None,
        n_refused_would_cover=tally.refused_would_cover,
        n_confidently_wrong=tally.reported - tally.covered,
    )


def evaluate_scenario(
    scenario: Scenario,
    *,
    replications: int,
    estimators: Sequence[EstimatorName] = ("snips", "calibrated-ips"),
    seed: int = 0,
    method: Method | None = None,
) -> EvaluationReport:
    """``evaluate_estimators`` for a ``Scenario``: coverage, refusals, needless refusals and confident misses.

    ``method`` defaults to ``estimate_all`` with default settings.
    """
    analyse = default_method(estimators) if method is None else method
    study = run_study(scenario, analyse, replications=replications, seed=seed)
    return EvaluationReport(
        rows=tuple(
            _performance(target, estimator, tally)
            for (target, name), tally in sorted(study.rows.items())
            for estimator in estimators
            if estimator == name
        )
    )
