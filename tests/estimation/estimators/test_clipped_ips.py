"""``clipped-ips``: raw weights capped at ``clip_at`` and counted; IPS's overlap gates."""

from __future__ import annotations

import math

import numpy as np

from cje_fp.estimation import EstimationConfig, estimate
from cje_fp.estimation.estimators.ips import ips
from tests.helpers.estimation import arrays, dataset
from tests.helpers.results import value_of


def test_clipping_caps_raw_weights_and_counts_them() -> None:
    run = arrays([math.log(1000.0), 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0])
    clipped = value_of(ips(run, clip_at=10.0))
    assert clipped.n_clipped == 1 and math.isclose(clipped.value, 10.0 / 4)
    assert math.isclose(value_of(ips(run)).value, 1000.0 / 4)


def test_clipped_ips_equals_ips_when_no_weight_reaches_the_cap() -> None:
    rng = np.random.default_rng(2)
    n = 300
    log_weights = list(np.clip(rng.normal(0.0, 0.2, n), -0.5, 0.5) - 0.02)
    data = dataset([-3.0] * n, {"t": [-3.0 + w for w in log_weights]}, list(rng.uniform(size=n)))
    plain = value_of(estimate(data, "t", estimator="ips"))
    clipped = value_of(estimate(data, "t", estimator="clipped-ips"))
    assert clipped.value == plain.value and clipped.se == plain.se and clipped.diagnostics.n_clipped == 0
    capped = value_of(estimate(data, "t", estimator="clipped-ips", config=EstimationConfig(clip_at=1.2)))
    assert capped.diagnostics.n_clipped == sum(math.exp(w) > 1.2 for w in log_weights) > 0
    assert capped.value < plain.value
