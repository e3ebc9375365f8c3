"""``BatchResult``: a scored batch in input order, with its accounting and weight columns.

>>> import math
>>> from cje_fp.backends import TabularPolicy
>>> from cje_fp.scoring import MultiTargetSampler
>>> table = {"q": {"a": math.log(0.5), "b": math.log(0.5)}}
>>> sampler = MultiTargetSampler(
...     policies=[TabularPolicy(name="base", table=table),
...               TabularPolicy(name="target", table={"q": {"a": math.log(0.9)}})],
...     base_policy_name="base",
... )
>>> batch = sampler.process_batch([("s1", "q", "a"), ("s2", "q", "b")])
>>> batch.to_arrays("target").excluded_by_reason
Counter({'target_failed:invalid_input': 1})
>>> batch.to_dict()["samples"]
{'total': 2, 'complete': 1, 'partial': 0, 'failed': 1}
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Final, final

import attrs
import numpy as np
from returns.result import Failure, Success

from cje_fp.errors import sealed, weight_error_reason
from cje_fp.policy import LogProbResult
from cje_fp.scoring._sample import SampleResult, SampleStatus
from cje_fp.scoring._weights import FloatArray

if TYPE_CHECKING:
    import pandas as pd

#: The version of ``BatchResult.to_dict``'s layout.
BATCH_SCHEMA_VERSION: Final = 1


@final
@attrs.frozen(kw_only=True)
class IdentityCheck:
    """Whether two policies declared identical returned identical log probs."""

    first: str
    second: str
    n_compared: int
    n_mismatched: int
    max_abs_difference: float | None
    tolerance: float

    @property
    def passed(self) -> bool:
        """No compared pair differed by more than ``tolerance``."""
        return self.n_mismatched == 0


def check_identity(
    results: Sequence[SampleResult], first: str, second: str, tolerance: float
) -> IdentityCheck:
    """Compare two policies' log probs on the samples where both succeeded."""
    differences = [
        abs(a - b)
        for result in results
        for a, b in _both_values(result.log_probs[first], result.log_probs[second])
    ]
    return IdentityCheck(
        first=first,
        second=second,
        n_compared=len(differences),
        n_mismatched=sum(difference > tolerance for difference in differences),
        max_abs_difference=max(differences) if differences else None,
        tolerance=tolerance,
    )


def _both_values(first: LogProbResult, second: LogProbResult) -> list[tuple[float, float]]:
    match sealed(first), sealed(second):
        case Success(a), Success(b):
            return [(a, b)]
        case _:
            return []


@final
@attrs.frozen(kw_only=True)
class Exclusion:
    """A sample left out of a weight column, and why."""

    sample_id: str
    reason: str


@final
@attrs.frozen(kw_only=True, eq=False)
class WeightColumn:
    """One target's valid log weights as an array, plus what was left out.

    ``log_weights`` holds only the valid cells, in input order; ``mask`` marks
    them among all samples. A masked cell has no number at all.
    """

    target: str
    log_weights: FloatArray
    mask: np.ndarray[tuple[int], np.dtype[np.bool_]]
    sample_ids: tuple[str, ...]
    excluded: tuple[Exclusion, ...]

    @property
    def excluded_by_reason(self) -> Mapping[str, int]:
        """How many samples each reason excluded."""
        return Counter(exclusion.reason for exclusion in self.excluded)


@final
@attrs.frozen(kw_only=True)
class Accounting:
    """Every cell accounted for: ``succeeded + sum(failed_by_kind) == total``."""

    total: int
    succeeded: int
    failed_by_kind: Mapping[str, int]

    @property
    def balanced(self) -> bool:
        """Whether the identity holds."""
        return self.succeeded + sum(self.failed_by_kind.values()) == self.total


@final
@attrs.frozen(kw_only=True)
class BatchResult:
    """The results of ``process_batch``, in input order, with their accounting."""

    results: tuple[SampleResult, ...]
    policy_names: tuple[str, ...]
    base_policy_name: str
    elapsed_seconds: float
    identity_checks: tuple[IdentityCheck, ...] = ()

    def _count(self, status: SampleStatus) -> int:
        return sum(result.status == status for result in self.results)

    @property
    def n_complete(self) -> int:
        """Samples where every policy succeeded."""
        return self._count("complete")

    @property
    def n_partial(self) -> int:
        """Samples with at least one target weight and at least one failure."""
        return self._count("partial")

    @property
    def n_failed(self) -> int:
        """Samples with no target weight at all."""
        return self._count("failed")

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every policy except the base."""
        return tuple(name for name in self.policy_names if name != self.base_policy_name)

    @property
    def failures_by_policy(self) -> Mapping[str, Mapping[str, int]]:
        """For each policy, how many of its cells failed with each kind."""
        counts: dict[str, Counter[str]] = {name: Counter() for name in self.policy_names}
        for result in self.results:
            for name, cell in result.log_probs.items():
                match sealed(cell):
                    case Failure(error):
                        counts[name][error.kind] += 1
                    case Success(_):
                        pass
        return counts

    @property
    def retries_used(self) -> int:
        """Retries made by ``retrying`` policies during the batch."""
        return sum(sum(result.retries.values()) for result in self.results)

    @property
    def samples_per_second(self) -> float:
        """Throughput over the batch's wall time."""
        return len(self.results) / self.elapsed_seconds if self.elapsed_seconds > 0 else math.inf

    def accounting(self) -> Accounting:
        """Cells in total, succeeded, and failed by kind."""
        failed: Counter[str] = Counter()
        for by_kind in self.failures_by_policy.values():
            failed.update(by_kind)
        succeeded = sum(
            isinstance(cell, Success)
            for result in self.results
            for cell in result.log_probs.values()
        )
        return Accounting(
            total=len(self.results) * len(self.policy_names),
            succeeded=succeeded,
            failed_by_kind=dict(failed),
        )

    def to_arrays(self, target: str) -> WeightColumn:
        """The valid log weights of ``target`` plus the mask and the exclusions."""
        if target not in self.target_names:
            raise ValueError(f"unknown target policy {target!r}; targets: {self.target_names}")
        values: list[float] = []
        kept: list[str] = []
        mask = np.zeros(len(self.results), dtype=np.bool_)
        excluded: list[Exclusion] = []
        for row, result in enumerate(self.results):
            match sealed(result.log_weights[target]):
                case Success(value):
                    values.append(value)
                    kept.append(result.sample_id)
                    mask[row] = True
                case Failure(error):
                    excluded.append(
                        Exclusion(sample_id=result.sample_id, reason=weight_error_reason(error))
                    )
        return WeightColumn(
            target=target,
            log_weights=np.asarray(values, dtype=np.float64),
            mask=mask,
            sample_ids=tuple(kept),
            excluded=tuple(excluded),
        )

    def to_dict(self) -> dict[str, object]:
        """A JSON-able summary: counts, failures by policy and kind, retries, identity checks."""
        accounting = self.accounting()
        return {
            "schema_version": BATCH_SCHEMA_VERSION,
            "policies": list(self.policy_names),
            "base_policy": self.base_policy_name,
            "samples": {
                "total": len(self.results),
                "complete": self.n_complete,
                "partial": self.n_partial,
                "failed": self.n_failed,
            },
            "cells": {
                "total": accounting.total,
                "succeeded": accounting.succeeded,
                "failed_by_kind": dict(sorted(accounting.failed_by_kind.items())),
            },
            "failures_by_policy": {
                name: dict(sorted(by_kind.items())) for name, by_kind in self.failures_by_policy.items()
            },
            "retries": self.retries_used,
            "elapsed_seconds": self.elapsed_seconds,
            "identity_checks": [
                {
                    "first": check.first,
                    "second": check.second,
                    "compared": check.n_compared,
                    "mismatched": check.n_mismatched,
                    "max_abs_difference": check.max_abs_difference,
                    "tolerance": check.tolerance,
                }
                for check in self.identity_checks
            ],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per (sample, policy) cell; a failure is ``<NA>`` with its kind (``[pandas]`` extra)."""
        from cje_fp.scoring._frame import batch_frame

        return batch_frame(self)

    def summary(self) -> str:
        """A few lines for humans: counts, failures by policy and kind, identity checks."""
        lines = [
            f"{len(self.results)} samples x {len(self.policy_names)} policies: "
            f"{self.n_complete} complete, {self.n_partial} partial, {self.n_failed} failed; "
            f"{self.retries_used} retries; {self.elapsed_seconds:.2f}s "
            f"({self.samples_per_second:.1f} samples/s)"
        ]
        for name, by_kind in self.failures_by_policy.items():
            if by_kind:
                kinds = ", ".join(f"{kind}={count}" for kind, count in sorted(by_kind.items()))
                lines.append(f"  {name}: {kinds}")
        for check in self.identity_checks:
            verdict = "identical" if check.passed else f"{check.n_mismatched} mismatched"
            lines.append(
                f"  identity {check.first} == {check.second}: {verdict} of "
                f"{check.n_compared} (max |diff| {check.max_abs_difference})"
            )
        return "\n".join(lines)
