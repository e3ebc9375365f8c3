"""The known-truth scenarios of honest inference on real logs (issue 11), ready to replicate.

Each ``Scenario`` pairs a ``TableWorld`` with a way of logging rows and of
choosing oracle labels; ``draw(seed)`` gives one logged dataset with the true
labelling probabilities and the family of every row. ``SCENARIOS`` lists the
issue's worlds:

- ``label-selection``: labels chosen by judge score (40% of rows with judge >
  0.5, 5% of the rest); ``random-labels`` is the same world with labels drawn at
  random at the same overall rate (the control of the label-dependence check);
- ``overlap-moderate`` and ``overlap-low``: targets tilted toward better or worse
  responses with bounded weights, population ESS fractions about 0.47-0.2 and
  0.2-0.07;
- ``families``: 10 near-duplicate rephrasings per prompt family, distinct ids;
- ``heavy-tails``: targets differing from the base by per-token noise (heavy-tailed
  weights: ``jittery``, ``noisy``) and one boosting a rare poor response
  (``unhelpful``), where refusing is right;
- ``few-labels``: 15 oracle labels at random among 500 rows.

>>> scenario = scenario_named("label-selection", scale=0.1)
>>> draw = scenario.draw(seed=1)
>>> draw.dataset.n_rows == len(draw.families) == draw.label_propensity.size
True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

import attrs
import numpy as np

from cje_fp.data import Dataset, FloatArray
from cje_fp.simulation._labelling import LabelPlan
from cje_fp.simulation._tables import (
    TableWorld,
    draw_families,
    draw_rows,
    family_world,
    rows_dataset,
    table_of,
    tilted_world,
)
from cje_fp.simulation._worlds import TargetSpec, WorldConfig, build_world


@attrs.frozen(kw_only=True, eq=False)
class ScenarioDraw:
    """One logged dataset from a scenario, with what the analyst may or may not know."""

    dataset: Dataset
    label_propensity: FloatArray
    """Each row's true probability of carrying an oracle label."""
    families: tuple[str, ...]
    """Each row's prompt family (``family-<k>``), the unit to cluster by for near-duplicates."""


@attrs.frozen(kw_only=True, eq=False)
class Scenario:
    """A world, how many rows (or families) are logged, and how labels are chosen."""

    name: str
    description: str
    world: TableWorld
    size: int
    """Rows logged, or families logged when ``sampling == "families"``."""
    labels: LabelPlan
    sampling: Literal["rows", "families"] = "rows"

    @property
    def truth(self) -> dict[str, float]:
        """Every policy's exact value."""
        return self.world.truth

    def draw(self, seed: int) -> ScenarioDraw:
        """One replication (deterministic in ``seed``)."""
        world = self.world
        rows = draw_rows(world, self.size, seed) if self.sampling == "rows" else draw_families(world, self.size, seed)
        judge = world.judge[rows.contexts, rows.responses]
        labelled, propensity = self.labels.draw(judge, np.random.default_rng([seed, 7]))
        return ScenarioDraw(
            dataset=rows_dataset(world, rows, labelled),
            label_propensity=propensity,
            families=tuple(f"family-{f}" for f in world.families[rows.contexts].tolist()),
        )


STANDARD_TILTS: Final[Mapping[str, float]] = {"clone": 0.0, "better": 2.0, "worse": -2.0}
MODERATE_TILTS: Final[Mapping[str, float]] = {"tilt6": 6.0, "tilt8": 8.0, "tilt-10": -10.0}
LOW_TILTS: Final[Mapping[str, float]] = {"tilt12": 12.0, "tilt-15": -15.0, "tilt20": 20.0}


HEAVY_TAIL_TARGETS: Final = (
    TargetSpec(name="jittery", token_noise=0.3),
    TargetSpec(name="noisy", token_noise=0.15),
    TargetSpec(name="unhelpful", rare_boost=12.0),
)


def _scaled(size: int, scale: float) -> int:
    return max(20, round(size * scale))


def scenario_named(name: str, *, scale: float = 1.0) -> Scenario:
    """One of ``SCENARIO_NAMES``; ``scale`` shrinks the rows logged (for quick tests)."""
    match name:
        case "label-selection" | "random-labels":
            world = tilted_world(n_contexts=4000, tilts=STANDARD_TILTS, seed=101)
            plan = LabelPlan(kind="by_judge", high=0.4, low=0.05) if name == "label-selection" else LabelPlan(
                kind="random", fraction=_selected_fraction(world)
            )
            how = "labels chosen by judge score (40% above 0.5, 5% below)" if name == "label-selection" else (
                "labels at random, same overall rate"
            )
            return Scenario(name=name, description=how, world=world, size=_scaled(2000, scale), labels=plan)
        case "overlap-moderate" | "overlap-low":
            tilts = MODERATE_TILTS if name == "overlap-moderate" else LOW_TILTS
            world = tilted_world(
                n_contexts=4000, tilts=tilts, base_spread=1.5, seed=202 if name == "overlap-moderate" else 303
            )
            return Scenario(
                name=name,
                description="bounded weights, population ESS fractions "
                + ", ".join(f"{world.ess_fraction(t):.2f}" for t in world.target_names),
                world=world,
                size=_scaled(1000, scale),
                labels=LabelPlan(kind="random", fraction=0.25),
            )
        case "families":
            world = family_world(n_families=3000, tilts=STANDARD_TILTS, seed=404)
            return Scenario(
                name=name,
                description="10 near-duplicate rephrasings per family, distinct prompt ids",
                world=world,
                size=_scaled(100, scale),
                labels=LabelPlan(kind="random", fraction=0.25),
                sampling="families",
            )
        case "heavy-tails":
            world = table_of(
                build_world(
                    WorldConfig(n_contexts=4000, targets=HEAVY_TAIL_TARGETS, judge_levels=11, seed=606)
                )
            )
            return Scenario(
                name=name,
                description="per-token noise on long responses (heavy-tailed weights) and a rare-response boost",
                world=world,
                size=_scaled(1000, scale),
                labels=LabelPlan(kind="random", fraction=0.25),
            )
        case "few-labels":
            world = tilted_world(n_contexts=4000, tilts=STANDARD_TILTS, seed=505)
            return Scenario(
                name=name,
                description="15 oracle labels at random among 500 rows",
                world=world,
                size=_scaled(500, scale),
                labels=LabelPlan(kind="count", count=15),
            )
        case _:
            raise KeyError(f"unknown scenario {name!r}; known: {list(SCENARIO_NAMES)}")


def _selected_fraction(world: TableWorld) -> float:
    """The overall labelling rate of the by-judge plan under the base policy."""
    share_high = float(np.mean(np.sum(np.exp(world.log_probs["base"]) * (world.judge > 0.5), axis=1)))
    return 0.4 * share_high + 0.05 * (1.0 - share_high)


SCENARIO_NAMES: Final = (
    "label-selection", "random-labels", "overlap-moderate", "overlap-low", "heavy-tails", "families", "few-labels"
)
