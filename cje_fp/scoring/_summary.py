"""What a scoring run did, as a record: cells computed, failed by policy and kind, retries, time.

>>> summary = ScoringSummary(out="scored.jsonl", n_rows=2, policies=("base", "t"), skipped=1, computed=3,
...                          succeeded=2, failed={("t", "timeout"): 1}, retries=4, elapsed_seconds=0.5,
...                          resumed=True, torn_tail_bytes=0)
>>> summary.to_dict()["failed"]
[{'policy': 't', 'kind': 'timeout', 'count': 1}]
>>> summary.to_dict()["schema_version"], summary.cells_per_second
(1, 6.0)
>>> def replica(url: str, failed: int) -> EndpointStats:
...     return EndpointStats(endpoint=url, requests=9, failed=failed, overloaded=0, ejections=failed // 3,
...                          limit=64, ceiling=64, peak_in_flight=8, down=failed > 0)
>>> replicas = {"base": (replica("http://a/v1", 3), replica("http://b/v1", 0))}
>>> attrs.evolve(summary, endpoints=replicas).endpoint_lines()[0]
'base: http://a/v1: 9 requests, 3 failed, 0 answered 429/503, taken out 1x, limit 64/64, down at the end'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final

import attrs

from cje_fp.backends import EndpointStats

#: The version of ``ScoringSummary.to_dict``'s layout.
SUMMARY_SCHEMA_VERSION: Final = 1


@attrs.frozen(kw_only=True)
class ScoringSummary:
    """The outcome of ``score_file``: every cell of the file is skipped, succeeded or failed."""

    schema_version: ClassVar[int] = SUMMARY_SCHEMA_VERSION
    out: str
    n_rows: int
    policies: tuple[str, ...]
    skipped: int
    """Cells already done before this run (kept from the output file)."""
    computed: int
    succeeded: int
    failed: Mapping[tuple[str, str], int]
    """(policy, failure kind) -> cells that failed in this run."""
    retries: int
    elapsed_seconds: float
    resumed: bool
    torn_tail_bytes: int
    endpoints: Mapping[str, tuple[EndpointStats, ...]] = attrs.field(factory=dict)
    """Policy -> what each of its servers did (backends that send requests only)."""
    notes: tuple[str, ...] = ()
    """What the run found before scoring (endpoint probes, stale or dropped cells), one line each."""
    warnings: tuple[str, ...] = ()
    """What looks wrong in the scored file (a target scored exactly as the base on every row)."""

    @property
    def cells_per_second(self) -> float:
        """Cells computed per second of the run (0 for an instant run)."""
        return self.computed / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``schema_version``."""
        return {
            "schema_version": self.schema_version,
            **{
                field.name: getattr(self, field.name)
                for field in attrs.fields(type(self))
                if field.name not in ("failed", "policies", "endpoints", "notes", "warnings")
            },
            "policies": list(self.policies),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "failed": [
                {"policy": policy, "kind": kind, "count": count} for (policy, kind), count in sorted(self.failed.items())
            ],
            "endpoints": {
                policy: [attrs.asdict(stats) for stats in endpoints] for policy, endpoints in self.endpoints.items()
            },
        }

    def endpoint_lines(self) -> list[str]:
        """For each policy with several servers (replicas), one line per server: requests, failures,
        429/503 answers, ejections, limit. (A single server is not named: its address stays out of
        what a run prints.)"""
        return [
            f"{policy}: {e.endpoint}: {e.requests} requests, {e.failed} failed, {e.overloaded} answered 429/503, "
            f"taken out {e.ejections}x, limit {e.limit}/{e.ceiling}" + (", down at the end" if e.down else "")
            for policy, endpoints in self.endpoints.items()
            if len(endpoints) > 1
            for e in endpoints
        ]
