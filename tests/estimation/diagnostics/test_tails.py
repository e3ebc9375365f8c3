"""Tail estimates in log space: Hill's index and the PSIS Pareto shape, ties left out of the tail."""

from __future__ import annotations

import numpy as np
from scipy.stats import genpareto

from cje_fp.estimation.diagnostics._tails import generalized_pareto_shape, hill_tail_index, psis_shape


def test_hill_recovers_pareto_tails_in_log_space() -> None:
    rng = np.random.default_rng(0)
    for alpha in (0.8, 2.5):
        estimate, k = hill_tail_index(np.log(rng.pareto(alpha, 200_000) + 1.0) + 900.0)
        assert estimate is not None and abs(estimate - alpha) < 0.1 * alpha
        assert k == 10_000


def test_psis_shape_recovers_generalized_pareto_tails_in_log_space() -> None:
    rng = np.random.default_rng(0)
    for shape in (0.2, 0.5, 0.9):
        draws = genpareto.rvs(shape, size=100_000, random_state=rng)
        estimate, tail = psis_shape(np.log(draws + 1e-12) + 900.0)  # exp(900) overflows: log space only
        assert estimate is not None and abs(estimate - shape) < 0.12, (shape, estimate)
        assert tail == 949  # ceil(3 sqrt(100000)) - 0 ties
    exceedances = np.sort(genpareto.rvs(0.6, size=50_000, random_state=rng))
    assert abs(generalized_pareto_shape(exceedances) - 0.6) < 0.05


def test_psis_shape_leaves_tied_weights_out_of_the_tail() -> None:
    assert psis_shape(np.zeros(1000)) == (None, 0)  # bounded, tied weights: no tail to fit
    rounding = np.random.default_rng(0).choice([-4.4e-16, 0.0, 2.2e-16, 4.4e-16], 1000)
    assert psis_shape(rounding) == (None, 0)  # a clone's log weights: rounding noise is not a tail
    rng = np.random.default_rng(1)
    mostly_tied = np.where(rng.uniform(size=1000) < 0.1, rng.laplace(0.0, 0.5, 1000), 0.0)
    estimate, tail = psis_shape(mostly_tied)
    assert estimate is not None and tail == int((mostly_tied > 0).sum()) and tail < 95
