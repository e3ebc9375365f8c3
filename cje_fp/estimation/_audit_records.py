"""The audits' verdicts and the refusals they lead to, as plain records (no numerics here).

``_audits`` computes them; ``_errors`` lists the refusals among every way an
estimate can decline to give a number.

>>> NoFreshDraws(target="t", available=("a",)).describe()
"no_fresh_draws: t: no fresh draws (draws exist for ['a'])"
"""

from __future__ import annotations

from typing import ClassVar, Literal, TypeAlias, final

import attrs

from cje_fp.estimation._records import ErrorRecord

TransportStatus: TypeAlias = Literal["PASS", "INCONCLUSIVE", "FAIL"]
BoundaryStatus: TypeAlias = Literal["PASS", "WARN", "REFUSE"]


@final
@attrs.frozen(kw_only=True)
class TransportThresholds:
    """The equivalence margin (oracle units) and the audit's confidence level."""

    margin: float = attrs.field(default=0.05, validator=attrs.validators.gt(0.0))
    level: float = 0.95


@final
@attrs.frozen(kw_only=True)
class BoundaryThresholds:
    """Shares of fresh-draw judge scores outside the labelled range that warn and refuse."""

    warn_share: float = 0.05
    refuse_share: float = 0.20


@final
@attrs.frozen(kw_only=True)
class TransportAudit:
    """The probe mean residual, its CI and the verdict."""

    status: TransportStatus
    mean_residual: float
    se: float
    ci: tuple[float, float]
    df: float
    n_probe: int
    margin: float

    def describe(self) -> str:
        """One line for humans."""
        low, high = self.ci
        return (
            f"transport {self.status}: probe mean residual {self.mean_residual:+.3f} "
            f"[{low:+.3f}, {high:+.3f}] (n={self.n_probe}, margin {self.margin})"
        )


@final
@attrs.frozen(kw_only=True)
class BoundaryAudit:
    """How much of the target's judge mass lies outside the labelled judge range."""

    status: BoundaryStatus
    out_of_range_share: float
    below_share: float
    above_share: float
    labelled_range: tuple[float, float]

    def describe(self) -> str:
        """One line for humans."""
        low, high = self.labelled_range
        return (
            f"boundary {self.status}: {self.out_of_range_share:.1%} of draws outside the labelled judge "
            f"range [{low:.3g}, {high:.3g}] ({self.below_share:.1%} below, {self.above_share:.1%} above)"
        )


@final
@attrs.frozen(kw_only=True)
class CalibrationDoesNotTransport(ErrorRecord):
    """Refusal: the probe slice shows the judge -> oracle map misprices the target's responses."""

    kind: ClassVar[str] = "calibration_does_not_transport"
    target: str
    audit: TransportAudit

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: {self.audit.describe()} (--probe-correction adds it)"


@final
@attrs.frozen(kw_only=True)
class JudgeOutOfRange(ErrorRecord):
    """Refusal: too many of the target's judge scores lie outside the labelled judge range."""

    kind: ClassVar[str] = "judge_out_of_range"
    target: str
    audit: BoundaryAudit

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: {self.audit.describe()}"


@final
@attrs.frozen(kw_only=True)
class NoFreshDraws(ErrorRecord):
    """The policy has no fresh draws (or none were given), so no fresh-draw estimator can run."""

    kind: ClassVar[str] = "no_fresh_draws"
    target: str
    available: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {self.target}: no fresh draws (draws exist for {list(self.available)})"
