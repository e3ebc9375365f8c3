"""Why an estimate was not produced: the closed algebra of estimation failures.

Each class has a stable ``kind`` and ``describe()``. ``InsufficientOverlap`` and
``InformativeMissingness`` are refusals (the data cannot support a number;
``allow_flagged=True`` returns a flagged estimate instead); the others are
errors in the inputs.

>>> TooFewOracleLabels(n_labels=4, minimum=10, reason="need 2 per fold").describe()
'too_few_oracle_labels: 4 labels, need at least 10 (need 2 per fold)'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, TypeAlias

import attrs

if TYPE_CHECKING:
    from cje_fp.estimation.diagnostics._overlap import MissingnessCheck, OverlapDiagnostics


@attrs.frozen(kw_only=True)
class UnknownPolicy:
    """The requested target policy is not in the dataset."""

    kind: ClassVar[str] = "unknown_policy"
    name: str
    available: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.name!r} is not among {list(self.available)}"


@attrs.frozen(kw_only=True)
class InvalidOption:
    """An option has a value the estimator cannot use."""

    kind: ClassVar[str] = "invalid_option"
    option: str
    reason: str

    def describe(self) -> str:
        return f"{self.kind}: {self.option}: {self.reason}"


@attrs.frozen(kw_only=True)
class TooFewRows:
    """Too few rows are usable for this target (after exclusions)."""

    kind: ClassVar[str] = "too_few_rows"
    target: str
    n_used: int
    minimum: int
    excluded: tuple[tuple[str, int], ...]

    def describe(self) -> str:
        reasons = ", ".join(f"{reason}={count}" for reason, count in self.excluded) or "none"
        return f"{self.kind}: {self.target}: {self.n_used} usable rows, need {self.minimum} (excluded: {reasons})"


@attrs.frozen(kw_only=True)
class TooFewOracleLabels:
    """Calibration needs more oracle labels than the dataset has."""

    kind: ClassVar[str] = "too_few_oracle_labels"
    n_labels: int
    minimum: int
    reason: str = ""

    def describe(self) -> str:
        extra = f" ({self.reason})" if self.reason else ""
        return f"{self.kind}: {self.n_labels} labels, need at least {self.minimum}{extra}"


@attrs.frozen(kw_only=True)
class MissingJudgeScores:
    """Calibrated rewards need a judge score on every row used; some have none."""

    kind: ClassVar[str] = "missing_judge_scores"
    n_missing: int
    lines: tuple[int, ...]
    """The first few source lines without a judge score."""

    def describe(self) -> str:
        shown = ", ".join(map(str, self.lines))
        return f"{self.kind}: {self.n_missing} row(s) have no judge score (lines {shown}...)"


@attrs.frozen(kw_only=True)
class WeightOverflow:
    """Unnormalised importance weights exceed the float range; IPS cannot be computed."""

    kind: ClassVar[str] = "weight_overflow"
    target: str
    max_log_weight: float

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: largest log weight {self.max_log_weight:.1f} overflows exp()"


@attrs.frozen(kw_only=True)
class WeightUnderflow:
    """Every importance weight underflows to zero: unnormalised IPS has no number to give."""

    kind: ClassVar[str] = "weight_underflow"
    target: str
    max_log_weight: float

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: largest log weight {self.max_log_weight:.1f} underflows exp()"


@attrs.frozen(kw_only=True)
class TooFewClusters:
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


@attrs.frozen(kw_only=True)
class NonFiniteEstimate:
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


@attrs.frozen(kw_only=True)
class InsufficientOverlap:
    """Refusal: the target's weights on the logged rows cannot support an estimate."""

    kind: ClassVar[str] = "insufficient_overlap"
    target: str
    diagnostics: OverlapDiagnostics
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: " + "; ".join(self.reasons)


@attrs.frozen(kw_only=True)
class InformativeMissingness:
    """Refusal: rows without a weight differ strongly from the rows used."""

    kind: ClassVar[str] = "informative_missingness"
    target: str
    check: MissingnessCheck
    reasons: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: " + "; ".join(self.reasons)


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
)
"""Every way ``estimate`` can decline to return a number."""

REFUSALS: tuple[type, ...] = (InsufficientOverlap, InformativeMissingness)
"""The errors that mean "the data cannot support a number" rather than "bad input"."""
