"""Paired contrasts of fresh-draw estimators against known truth, through the library's ``compare_all``.

A replication of a ``FreshWorld`` becomes what a user has: a ``Dataset`` of
logged rows (base log prob -200, each target's that plus its exact log weight, judge scores,
oracle labels on the labelled rows) and ``FreshData`` (every policy's draws,
``base`` included, and probe slices). ``evaluate_contrasts`` then runs
``compare_all`` (every target minus the base policy's draws, Holm-adjusted) and
counts, against ``truth(target) - truth(base)``, how often each interval covers
(at the nominal level, unadjusted) and how often every Holm-adjusted interval
of a replication covers at once (family-wise). Refusals count as neither.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

import attrs
import numpy as np
from returns.result import Failure, Success

from cje_fp.data import Dataset, FloatArray, IntArray
from cje_fp.errors import sealed
from cje_fp.estimation import BASE, ExtraInputs, FreshData, FreshInputs, FreshOptions, compare_all
from cje_fp.estimation._holm import holm_adjusted
from cje_fp.io import DrawTable
from cje_fp.simulation._fresh_worlds import FreshWorld, Replication, draw_replication, world_folds

#: The base policy's log prob of every logged response (targets' are this plus their log weights, <= 0).
_BASE_LOG_PROB: Final = -200.0


def _table(policy: str, clusters: IntArray, judge: FloatArray, oracle: FloatArray | None) -> DrawTable:
    counts: dict[int, int] = {}
    draw_idx = np.empty(clusters.size, dtype=np.int64)
    for row, cluster in enumerate(clusters.tolist()):
        draw_idx[row] = counts.get(cluster, 0)
        counts[cluster] = draw_idx[row] + 1
    return DrawTable(
        policy=policy,
        source="<simulation>",
        prompt_ids=tuple(f"p{cluster}" for cluster in clusters.tolist()),
        draw_idx=draw_idx,
        lines=np.arange(1, clusters.size + 1, dtype=np.int64),
        judge=judge,
        oracle=np.full(clusters.size, np.nan) if oracle is None else oracle,
        response_length=np.zeros(clusters.size, dtype=np.int64),
    )


def replication_inputs(replication: Replication) -> tuple[Dataset, FreshData]:
    """The logged dataset and the fresh draws (with probe slices) of one replication."""
    n = replication.n_prompts
    oracle = np.where(replication.labelled, replication.logged_oracle, np.nan)
    dataset = Dataset.from_arrays(
        prompt_ids=[f"p{index}" for index in range(n)],
        base_log_prob=[_BASE_LOG_PROB] * n,
        target_log_probs={
            name: (weights + _BASE_LOG_PROB).tolist() for name, weights in replication.log_weights.items()
        },
        judge_score=replication.logged_judge.tolist(),
        oracle_label=[None if np.isnan(value) else float(value) for value in oracle],
        source="<simulation>",
    )
    draws = {
        name: _table(name, replication.draw_clusters, judge, None) for name, judge in replication.draw_judge.items()
    }
    probes = {
        name: _table(name, replication.probe_clusters[name], replication.probe_judge[name],
                     replication.probe_oracle[name])
        for name in replication.log_weights
    }
    return dataset, FreshData(draws=draws, probes=probes)


@attrs.frozen(kw_only=True)
class ContrastStudy:
    """Coverage of paired contrasts (target minus base) and of their Holm family, per estimator."""

    world: str
    estimator: str
    replications: int
    covered: dict[str, int]
    """Per target: replications whose nominal-level interval covered the true contrast."""
    reported: dict[str, int]
    """Per target: replications with a contrast (not refused)."""
    family_covered: int
    """Replications in which every reported Holm-adjusted interval covered (at least one reported)."""
    family_reported: int
    refusals: dict[str, dict[str, int]]
    """Per target: refused contrasts by the refusal's kind."""
    errors: dict[str, float]
    """Per target: mean of the contrast minus the truth (bias)."""

    def coverage(self, target: str) -> float | None:
        """Share of reported contrasts whose interval covered (None: all refused)."""
        return self.covered[target] / self.reported[target] if self.reported[target] else None

    @property
    def family_coverage(self) -> float | None:
        """Share of replications whose whole Holm family covered (None: nothing reported)."""
        return self.family_covered / self.family_reported if self.family_reported else None

    def describe(self) -> str:
        """A block of lines for humans."""
        lines = [f"world {self.world}, {self.estimator}: {self.replications} replications, target minus base"]
        for name, reported in self.reported.items():
            coverage = self.coverage(name)
            shown = "-" if coverage is None else f"{coverage:.3f}"
            lines.append(
                f"  {name}: coverage {shown} of {reported} reported, bias {self.errors[name]:+.4f}, "
                f"refused {self.refusals[name] or 'never'}"
            )
        family = self.family_coverage
        lines.append(
            f"  Holm family (simultaneous intervals): all covered in "
            f"{'-' if family is None else f'{family:.3f}'} of {self.family_reported} replications"
        )
        return "\n".join(lines)


def evaluate_contrasts(
    world: FreshWorld,
    *,
    estimator: str,
    replications: int,
    seed: int,
    level: float = 0.95,
    options: FreshOptions = FreshOptions(),
    targets: Sequence[str] | None = None,
) -> ContrastStudy:
    """Run ``compare_all(targets, BASE)`` on ``replications`` seeded replications of ``world``."""
    names = [target.name for target in world.targets] if targets is None else list(targets)
    truth = {name: world.truth(name) - world.truth("base") for name in names}
    folds = world_folds(world)
    covered, reported = Counter[str](), Counter[str]()
    refusals: dict[str, Counter[str]] = {name: Counter() for name in names}
    errors: dict[str, list[float]] = {name: [] for name in names}
    family_covered = family_reported = 0
    for index in range(replications):
        dataset, fresh = replication_inputs(draw_replication(world, seed=seed * 100_003 + index, folds=folds))
        extra = ExtraInputs(fresh=FreshInputs(data=fresh, options=options))
        plain = compare_all(dataset, names, BASE, estimator=estimator, level=level, holm=False, extra=extra)
        adjusted = holm_adjusted(plain, level)
        all_cover, any_reported = True, False
        for name in names:
            match sealed(plain[name]):
                case Failure(error):
                    refusals[name][error.kind] += 1
                case Success(found):
                    reported[name] += 1
                    errors[name].append(found.difference - truth[name])
                    covered[name] += int(found.ci[0] <= truth[name] <= found.ci[1])
                    holm = adjusted[name].value_or(found)
                    any_reported = True
                    all_cover = all_cover and holm.ci[0] <= truth[name] <= holm.ci[1]
        if any_reported:
            family_reported += 1
            family_covered += int(all_cover)
    return ContrastStudy(
        world=world.name,
        estimator=estimator,
        replications=replications,
        covered={name: covered[name] for name in names},
        reported={name: reported[name] for name in names},
        family_covered=family_covered,
        family_reported=family_reported,
        refusals={name: dict(counts) for name, counts in refusals.items()},
        errors={name: float(np.mean(values)) if values else float("nan") for name, values in errors.items()},
    )
