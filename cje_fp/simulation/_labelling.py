"""Which logged rows get an oracle label: at random, a fixed count, or chosen by judge score.

Every plan returns the labelled mask and each row's true labelling
probability, so a study can hand the estimator the real propensities
(``known_propensity``) or let it estimate them (``by_judge_score``).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> judge = rng.uniform(size=100_000)
>>> labelled, propensity = LabelPlan(kind="by_judge", high=0.4, low=0.05).draw(judge, rng)
>>> round(float(labelled[judge > 0.5].mean()), 2), round(float(labelled[judge <= 0.5].mean()), 2)
(0.4, 0.05)
>>> labelled, _ = LabelPlan(kind="count", count=15).draw(judge, rng)
>>> int(labelled.sum())
15
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np

from cje_fp.data import BoolArray, FloatArray


@attrs.frozen(kw_only=True)
class LabelPlan:
    """How oracle labels are chosen.

    ``random``: each row with probability ``fraction``; ``count``: exactly
    ``count`` rows at random; ``by_judge``: probability ``high`` when the judge
    score exceeds ``threshold``, else ``low`` (teams label what the judge found
    interesting).
    """

    kind: Literal["random", "count", "by_judge"] = "random"
    fraction: float = 0.25
    count: int = 15
    high: float = 0.4
    low: float = 0.05
    threshold: float = 0.5

    def draw(self, judge: FloatArray, rng: np.random.Generator) -> tuple[BoolArray, FloatArray]:
        """The labelled mask and every row's true labelling probability."""
        n = judge.size
        if self.kind == "count":
            chosen = np.zeros(n, dtype=bool)
            chosen[rng.choice(n, size=min(self.count, n), replace=False)] = True
            return chosen, np.full(n, min(self.count, n) / n)
        propensity: FloatArray = (
            np.full(n, self.fraction)
            if self.kind == "random"
            else np.where(judge > self.threshold, self.high, self.low)
        )
        labelled: BoolArray = rng.uniform(size=n) < propensity
        return labelled, propensity
