"""``clipped-snips``: mean-one weights capped at ``clip_at``, rescaled, and counted."""

from __future__ import annotations

import math

from cje_fp.estimation.estimators.snips import snips
from tests.helpers.estimation import arrays


def test_clipping_caps_weights_and_counts_them() -> None:
    run = arrays([math.log(1000.0), 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0])
    clipped = snips(run, clip_at=2.0)
    assert clipped.n_clipped == 1 and clipped.value < snips(run).value
    assert math.isclose(clipped.final_weights.mean(), 1.0)
