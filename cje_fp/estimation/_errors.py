"""Why an estimate was not produced: the closed algebra of estimation failures.

Each class has a stable ``kind`` and ``describe()``. ``InsufficientOverlap``,
``InformativeMissingness`` and ``LabelsNotRandom`` are refusals (the data cannot support a number;
``allow_flagged=True`` returns a flagged estimate instead); the others are
errors in the inputs. Every error is data: ``to_dict()`` (with ``kind`` and
``schema_version``) and ``error_from_dict`` read it back.

>>> TooFewOracleLabels(n_labels=4, minimum=10, reason="need 2 per fold").describe()
'too_few_oracle_labels: 4 labels, need at least 10 (need 2 per fold)'
"""

from __future__ import annotations

from typing import ClassVar, Final, TypeAlias, final

import attrs
from returns.result import Failure, Result

from cje_fp.estimation._audit_records import CalibrationDoesNotTransport, JudgeOutOfRange, NoFreshDraws
from cje_fp.estimation._label_design import LabelDependence
from cje_fp.estimation._records import ErrorRecord, InvalidRecord
from cje_fp.estimation.diagnostics import MissingnessCheck, OverlapDiagnostics


@final
@attrs.frozen(kw_only=True)
class UnknownPolicy(ErrorRecord):
    """The requested target policy is not in the dataset."""

    kind: ClassVar[str] = "unknown_policy"
    name: str
    available: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.name!r} is not among {list(self.available)}"


@final
@attrs.frozen(kw_only=True)
class InvalidOption(ErrorRecord):
    """An option has a value the estimator cannot use."""

    kind: ClassVar[str] = "invalid_option"
    option: str
    reason: str

    def describe(self) -> str:
        return f"{self.kind}: {self.option}: {self.reason}"


@final
@attrs.frozen(kw_only=True)
class TooFewRows(ErrorRecord):
    """Too few rows are usable for this target (after exclusions)."""

    kind: ClassVar[str] = "too_few_rows"
    target: str
    n_used: int
    minimum: int
    excluded: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        reasons = ", ".join(f"{reason}={count}" for reason, count in self.excluded) or "none"
        return f"{self.kind}: {self.target}: {self.n_used} usable rows, need {self.minimum} (excluded: {reasons})"


@final
@attrs.frozen(kw_only=True)
class TooFewOracleLabels(ErrorRecord):
    """Calibration needs more oracle labels than the dataset has."""

    kind: ClassVar[str] = "too_few_oracle_labels"
    n_labels: int
    minimum: int
    reason: str = ""

    def describe(self) -> str:
        extra = f" ({self.reason})" if self.reason else ""
        return f"{self.kind}: {self.n_labels} labels, need at least {self.minimum}{extra}"


@final
@attrs.frozen(kw_only=True)
class MissingJudgeScores(ErrorRecord):
    """Calibrated rewards need a judge score on every row used; some have none."""

    kind: ClassVar[str] = "missing_judge_scores"
    n_missing: int
    lines: tuple[int, ...]
    """The first few source lines without a judge score."""

    def describe(self) -> str:
        shown = ", ".join(map(str, self.lines))
        return f"{self.kind}: {self.n_missing} row(s) have no judge score (lines {shown}...)"


@final
@attrs.frozen(kw_only=True)
class WeightOverflow(ErrorRecord):
    """Unnormalised importance weights exceed the float range; IPS cannot be computed."""

    kind: ClassVar[str] = "weight_overflow"
    target: str
    max_log_weight: float

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: largest log weight {self.max_log_weight:.1f} overflows exp()"


@final
@attrs.frozen(kw_only=True)
class WeightUnderflow(ErrorRecord):
    """Every importance weight underflows to zero: unnormalised IPS has no number to give."""

    kind: ClassVar[str] = "weight_underflow"
    target: str
    max_log_weight: float

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: largest log weight {self.max_log_weight:.1f} underflows exp()"


@final
@attrs.frozen(kw_only=True)
class TooFewClusters(ErrorRecord):
    """Too few independent prompts (clusters) to estimate a standard error."""

    kind: ClassVar[str] = "too_few_clusters"
    target: str
    n_clusters: int
    minimum: int

    def describe(self) -> str:
        return (
            f"{self.kind}: {self.target}: {self.n_clusters} distinct prompt(s) among the rows used, "
            f"need at least {self.minimum} for a clustered standard error"
        )


@final
@attrs.frozen(kw_only=True)
class NonFiniteEstimate(ErrorRecord):
    """A computed quantity is not a finite number (overflow, 0/0): reported instead of returned.

    The last line of defence: ``estimate`` and ``compare`` check every number
    they return and never put inf or NaN inside a ``Success``.
    """

    kind: ClassVar[str] = "non_finite_estimate"
    target: str
    estimator: str
    quantity: str
    """Which number: ``value``, ``se``, ``df``, ``ci`` or ``final_ess_fraction``."""
    detail: str

    def describe(self) -> str:
        return f"{self.kind}: {self.target} [{self.estimator}]: {self.quantity} is {self.detail}"


@final
@attrs.frozen(kw_only=True)
class InsufficientOverlap(ErrorRecord):
    """Refusal: the target's weights on the logged rows cannot support an estimate."""

    kind: ClassVar[str] = "insufficient_overlap"
    target: str
    diagnostics: OverlapDiagnostics
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: " + "; ".join(self.reasons)


@final
@attrs.frozen(kw_only=True)
class InformativeMissingness(ErrorRecord):
    """Refusal: rows without a weight differ strongly from the rows used."""

    kind: ClassVar[str] = "informative_missingness"
    target: str
    check: MissingnessCheck
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: " + "; ".join(self.reasons)


@final
@attrs.frozen(kw_only=True)
class LabelsNotRandom(ErrorRecord):
    """Refusal: the label design says ``random`` but labelled rows' judge scores differ from the rest."""

    kind: ClassVar[str] = "labels_not_random"
    check: LabelDependence

    def describe(self) -> str:
        return (
            f"{self.kind}: {self.check.describe()}: the oracle labels were not chosen at random, so calibrated "
            "rewards would be biased. Declare how they were chosen: label_design='by_judge_score' "
            "(--label-design by_judge_score) when the chance of a label depends on the judge score, or "
            "'known_propensity' with each row's oracle_label_propensity"
        )


EstimationError: TypeAlias = (
    UnknownPolicy
    | InvalidOption
    | TooFewRows
    | TooFewOracleLabels
    | MissingJudgeScores
    | WeightOverflow
    | WeightUnderflow
    | TooFewClusters
    | NonFiniteEstimate
    | InsufficientOverlap
    | InformativeMissingness
    | LabelsNotRandom
    | NoFreshDraws
    | CalibrationDoesNotTransport
    | JudgeOutOfRange
)
"""Every way ``estimate`` can decline to return a number (the last three: fresh-draw estimators')."""

REFUSALS: tuple[type, ...] = (
    InsufficientOverlap, InformativeMissingness, LabelsNotRandom, CalibrationDoesNotTransport, JudgeOutOfRange
)
"""The errors that mean "the data cannot support a number" rather than "bad input"."""

_BY_KIND: Final[dict[str, type[EstimationError]]] = {
    error.kind: error
    for error in (
        UnknownPolicy,
        InvalidOption,
        TooFewRows,
        TooFewOracleLabels,
        MissingJudgeScores,
        WeightOverflow,
        WeightUnderflow,
        TooFewClusters,
        NonFiniteEstimate,
        InsufficientOverlap,
        InformativeMissingness,
        LabelsNotRandom,
        NoFreshDraws,
        CalibrationDoesNotTransport,
        JudgeOutOfRange,
    )
}


def error_from_dict(data: object) -> Result[EstimationError, InvalidRecord]:
    """The estimation error that ``to_dict`` wrote (of any kind), or why ``data`` is not one.

    >>> error_from_dict(TooFewRows(target="t", n_used=3, minimum=30, excluded=()).to_dict())
    <Success: TooFewRows(target='t', n_used=3, minimum=30, excluded=())>
    """
    kind = data.get("kind") if isinstance(data, dict) else None
    error_type = _BY_KIND.get(str(kind))
    if error_type is None:
        return Failure(InvalidRecord(record="EstimationError", reason=f"unknown kind {kind!r}"))
    found: Result[EstimationError, InvalidRecord] = error_type.from_dict(data)
    return found
