"""Whether a stored cell was produced the way the current config would produce it.

A cell stores its policy's fingerprint (``logprob_source``): every option that
changes a log prob (model, template, system prompt, ...), plus what the start
of the run measured about the endpoint (``probe_log_prob``,
``temperature_semantics``). A stored cell stands when its configured entries
equal the current ones and its measured entries agree with this run's (a probe
log prob within the endpoint's tolerance); measured entries are compared only
when both sides have them (a run with the probe skipped trusts the server).
The endpoint's address is not part of it: moving a server recomputes nothing.

>>> current = {"model": "m", "probe_log_prob": "-12.000000"}
>>> same_source({"model": "m", "probe_log_prob": "-12.010000", "base_url": "http://old/v1"}, current, 0.05)
True
>>> changes({"model": "m", "probe_log_prob": "-14.000000"}, current, 0.05)
['probe_log_prob -14.000000 -> -12.000000 (another model or server version answers under this name)']
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from cje_fp.backends._registry import PROBE_LOG_PROB, TEMPERATURE_SEMANTICS, ConfiguredPolicy
from cje_fp.io import SOURCE_FIELD, STATUS_FIELD
from cje_fp.scoring._config import ScoreConfig

#: Entries the start of a run measures; the rest come from the config.
MEASURED: Final = frozenset({PROBE_LOG_PROB, TEMPERATURE_SEMANTICS})
#: Entries older files stored that do not identify what produced a cell.
NOT_IDENTITY: Final = frozenset({"base_url"})


def _number(text: object) -> float | None:
    try:
        value = float(text)  # type: ignore[arg-type]  # a stored string, or anything a file holds
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _measured_change(key: str, stored: object, current: object, tolerance: float) -> str | None:
    if key == PROBE_LOG_PROB:
        before, now = _number(stored), _number(current)
        if before is not None and now is not None and abs(before - now) <= tolerance:
            return None
        return f"{key} {stored} -> {current} (another model or server version answers under this name)"
    return None if stored == current else f"{key} {stored} -> {current}"


def changes(stored: object, current: Mapping[str, str | None], tolerance: float) -> list[str]:
    """What differs between a stored fingerprint and the current one (empty: the cell stands)."""
    if not isinstance(stored, Mapping):
        return ["no fingerprint stored"]
    if stored == current and (PROBE_LOG_PROB not in current or _number(current[PROBE_LOG_PROB]) is not None):
        return []  # the usual stored cell, at the cost of one comparison: the loop would find nothing
    found: list[str] = []
    for key in sorted((set(stored) | set(current)) - NOT_IDENTITY):
        before, now = stored.get(key), current.get(key)
        if key in MEASURED:
            if key in stored and key in current:
                change = _measured_change(key, before, now, tolerance)
                found += [change] if change is not None else []
        elif before != now:
            found.append(f"{key} {before} -> {now}")
    return found


def same_source(stored: object, current: Mapping[str, str | None], tolerance: float) -> bool:
    """Whether a cell stored with fingerprint ``stored`` stands under ``current``."""
    return not changes(stored, current, tolerance)


def stale_notes(
    rows: Iterable[Mapping[str, object]], policies: Sequence[ConfiguredPolicy]
) -> tuple[str, ...]:
    """One line per policy whose stored cells are recomputed because its fingerprint changed.

    >>> from cje_fp.backends import ConfiguredPolicy, Diagnosis, TabularPolicy
    >>> policy = ConfiguredPolicy(policy=TabularPolicy(name="t", table={}), kind="tabular",
    ...     fingerprint={"table": "new"}, diagnose=lambda: Diagnosis(policy="t", reachable=True, usable=True, summary=""))
    >>> stale_notes([{"logprob_source": {"t": {"table": "old"}}}], [policy])
    ("policy 't': 1 stored cell(s) are stale and recomputed (table old -> new)",)
    """
    counts: Counter[str] = Counter()
    first: dict[str, list[str]] = {}
    for row in rows:
        sources = row.get(SOURCE_FIELD)
        if not isinstance(sources, Mapping):
            continue
        for policy in policies:
            if policy.name not in sources:
                continue
            found = changes(sources[policy.name], policy.fingerprint, policy.fingerprint_tolerance)
            if found:
                counts[policy.name] += 1
                first.setdefault(policy.name, found)
    return tuple(
        f"policy {name!r}: {count} stored cell(s) are stale and recomputed ({'; '.join(first[name])})"
        for name, count in counts.items()
    )


def _both_ok(row: Mapping[str, Any], base: str, target: str) -> tuple[float, float] | None:
    statuses, targets = row.get(STATUS_FIELD), row.get("target_policy_logprobs")
    if not isinstance(statuses, Mapping) or not isinstance(targets, Mapping):
        return None
    if statuses.get(base) != "ok" or statuses.get(target) != "ok":
        return None
    first, second = row.get("base_policy_logprob"), targets.get(target)
    if isinstance(first, int | float) and isinstance(second, int | float):
        return float(first), float(second)
    return None


def identical_to_base(
    rows: Sequence[Mapping[str, Any]], policies: Sequence[ConfiguredPolicy], base: str
) -> tuple[str, ...]:
    """A warning per target declared different from the base (another fingerprint) whose log
    prob equals the base's on every row where both were scored: an option that did nothing."""
    by_name = {policy.name: policy for policy in policies}
    declared = {key: value for key, value in by_name[base].fingerprint.items() if key not in MEASURED}
    warnings = []
    for policy in policies:
        own = {key: value for key, value in policy.fingerprint.items() if key not in MEASURED}
        if policy.name == base or own == declared:
            continue
        pairs = [pair for row in rows if (pair := _both_ok(row, base, policy.name)) is not None]
        if pairs and all(first == second for first, second in pairs):
            differing = ", ".join(sorted(key for key in set(own) | set(declared) if own.get(key) != declared.get(key)))
            warnings.append(
                f"target {policy.name!r} is configured differently from base {base!r} ({differing}) but scored "
                f"exactly the base's log prob on all {len(pairs)} rows: its options probably had no effect "
                "on the server, and its weights are all 1. Check the config and `cje-fp doctor`."
            )
    return tuple(warnings)


def resume_notes(rows: Iterable[Mapping[str, Any]], config: ScoreConfig, out: Path) -> tuple[str, ...]:
    """The lines a resumed run prints: stale cells recomputed, policies no longer declared dropped."""
    stored = list(rows)
    current = {policy.name for policy in config.policies}
    removed = sorted({name for row in stored for name in _names(row) if name not in current})
    dropped = tuple(
        f"policy {name!r} is no longer in the config: its cells are dropped from {out}" for name in removed
    )
    return stale_notes(stored, config.policies) + dropped


def _names(row: Mapping[str, Any]) -> Iterable[str]:
    statuses = row.get(STATUS_FIELD)
    return statuses.keys() if isinstance(statuses, Mapping) else ()
