"""``estimated``: ``estimate`` as a pipeline step, the target and options given first.

>>> from returns.pipeline import flow
>>> from cje_fp.simulation import demo
>>> simulation = demo(seed=1, n=300)
>>> target = simulation.dataset.target_names[0]
>>> flow(simulation.dataset, estimated(target)).map(lambda found: found.estimator)
<Success: snips>
"""

from __future__ import annotations

from collections.abc import Callable

from returns.result import Result

from cje_fp.data import Dataset
from cje_fp.estimation._config import EstimationConfig
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation._estimate import estimate
from cje_fp.estimation._results import Estimate, RewardSource
from cje_fp.estimation.estimators import EstimatorName


def estimated(
    target: str,
    *,
    estimator: EstimatorName = "snips",
    level: float = 0.95,
    reward: RewardSource = "auto",
    allow_flagged: bool = False,
    config: EstimationConfig = EstimationConfig(),
) -> Callable[[Dataset], Result[Estimate, EstimationError]]:
    """The step from a ``Dataset`` to ``target``'s estimate (see ``estimate``)."""

    def step(dataset: Dataset) -> Result[Estimate, EstimationError]:
        return estimate(
            dataset,
            target,
            estimator=estimator,
            level=level,
            reward=reward,
            allow_flagged=allow_flagged,
            config=config,
        )

    return step
