"""The rows of a JSON report, read back as typed views for pages and notebooks.

A report's ``estimates`` section is ``{policy: {estimator: entry}}`` (see ``_json``);
``entry_views`` reads it without trusting it: a field of the wrong type is shown
as missing, never as a number.

>>> document = {"estimates": {"t": {"snips": {"status": "ok", "value": 0.5, "se": 0.1,
...     "ci": [0.3, 0.7], "n_used": 10, "diagnostics": {"gate": "pass", "overlap": {"ess_fraction": 0.8}}}}}}
>>> [(view.policy, view.value, view.ci, view.ess_fraction) for view in entry_views(document)]
[('t', 0.5, (0.3, 0.7), 0.8)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import final

import attrs


def as_mapping(value: object) -> Mapping[str, object]:
    """``value`` if it is a JSON object, else an empty one."""
    if isinstance(value, Mapping):
        return {str(key): item for key, item in value.items()}
    return {}


def as_number(value: object) -> float | None:
    """``value`` as a finite float, or ``None`` (booleans and strings are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def as_count(value: object) -> int | None:
    """``value`` if it is a JSON integer (not a boolean)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_text(value: object) -> str | None:
    """``value`` if it is a string."""
    return value if isinstance(value, str) else None


def as_texts(value: object) -> tuple[str, ...]:
    """The strings of a JSON array (others skipped)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(item for item in value if isinstance(item, str))
    return ()


@final
@attrs.frozen(kw_only=True)
class EntryView:
    """One (policy, estimator) entry of a report: an estimate or a refusal."""

    policy: str
    estimator: str
    status: str
    value: float | None
    se: float | None
    ci: tuple[float, float] | None
    level: float | None
    n_used: int | None
    n_excluded: int | None
    ess_fraction: float | None
    gate: str | None
    flagged: bool
    kind: str | None
    reason: str | None
    refusals: tuple[str, ...]
    warnings: tuple[str, ...]
    overlap: Mapping[str, object]
    calibration: Mapping[str, object]

    @property
    def refused(self) -> bool:
        """True when the entry has no number."""
        return self.status != "ok" or self.value is None


def _interval(value: object) -> tuple[float, float] | None:
    if isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        low, high = as_number(value[0]), as_number(value[1])
        if low is not None and high is not None:
            return (low, high)
    return None


def entry_view(policy: str, estimator: str, entry: Mapping[str, object]) -> EntryView:
    """The typed view of one entry."""
    diagnostics = as_mapping(entry.get("diagnostics"))
    overlap = as_mapping(diagnostics.get("overlap"))
    status = as_text(entry.get("status")) or "unknown"
    return EntryView(
        policy=policy,
        estimator=estimator,
        status=status,
        value=as_number(entry.get("value")) if status == "ok" else None,
        se=as_number(entry.get("se")),
        ci=_interval(entry.get("ci")),
        level=as_number(entry.get("level")),
        n_used=as_count(entry.get("n_used")),
        n_excluded=as_count(entry.get("n_excluded")),
        ess_fraction=as_number(overlap.get("ess_fraction")),
        gate=as_text(diagnostics.get("gate")),
        flagged=entry.get("flagged") is True,
        kind=as_text(entry.get("kind")),
        reason=as_text(entry.get("reason")),
        refusals=as_texts(diagnostics.get("refusals")),
        warnings=as_texts(diagnostics.get("warnings")),
        overlap=overlap,
        calibration=as_mapping(diagnostics.get("calibration")),
    )


def entry_views(document: Mapping[str, object]) -> list[EntryView]:
    """Every entry of the report's ``estimates`` section, in the report's order."""
    views = []
    for policy, by_estimator in as_mapping(document.get("estimates")).items():
        for estimator, entry in as_mapping(by_estimator).items():
            views.append(entry_view(policy, estimator, as_mapping(entry)))
    return views
