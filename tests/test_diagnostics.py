"""Overlap diagnostics, gates and the missingness check."""

from __future__ import annotations

import math

import numpy as np

from scipy.stats import genpareto

from cje_fp.estimation.diagnostics._overlap import (
    GateThresholds,
    evaluate_gates,
    generalized_pareto_shape,
    hill_tail_index,
    missingness_check,
    overlap_diagnostics,
    psis_shape,
)


def test_ess_share_and_near_zero_mass() -> None:
    log_weights = np.log(np.array([4.0, 1.0, 1.0, 1.0, 1e-12, 1e-12]))
    diagnostics = overlap_diagnostics(log_weights)
    weights = np.exp(log_weights)
    assert math.isclose(diagnostics.ess_fraction, weights.sum() ** 2 / np.sum(weights**2) / 6)
    assert math.isclose(diagnostics.max_weight_share, 4.0 / weights.sum())
    assert math.isclose(diagnostics.near_zero_fraction, 2 / 6)
    assert math.isclose(diagnostics.support_mass, weights.mean())
    assert math.isclose(diagnostics.log_support_mass, math.log(weights.mean()))
    assert math.isclose(diagnostics.ess, weights.sum() ** 2 / np.sum(weights**2))
    assert diagnostics.hill_tail_index is None and diagnostics.psis_k is None


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


def test_gates_refuse_and_warn_at_the_documented_thresholds() -> None:
    thresholds = GateThresholds()
    good = evaluate_gates(overlap_diagnostics(np.random.default_rng(1).normal(0, 0.2, 500)), thresholds)
    assert good.level == "pass"
    rng = np.random.default_rng(2)
    far = np.concatenate([[0.0], rng.uniform(-80.0, -40.0, 499)])
    status = evaluate_gates(overlap_diagnostics(far), thresholds)
    assert status.level == "refuse"
    kinds = " ".join(status.refusals)
    assert "ESS" in kinds and "weight < 1e-10" in kinds and "support" in kinds
    small = evaluate_gates(overlap_diagnostics(np.zeros(25)), thresholds)
    assert small.refusals == ("ESS 25.0 rows < 30",)


def test_a_heavy_pareto_tail_refuses_and_a_moderate_one_warns() -> None:
    rng = np.random.default_rng(3)
    thresholds = GateThresholds()
    for shape, level in ((1.0, "refuse"), (0.6, "warn"), (0.1, "pass")):
        log_weights = np.log(genpareto.rvs(shape, size=20_000, random_state=rng) + 0.05)
        diagnostics = overlap_diagnostics(log_weights)
        status = evaluate_gates(diagnostics, thresholds)
        reasons = " ".join(status.refusals + status.warnings)
        assert ("Pareto tail shape" in reasons) == (level != "pass"), (shape, diagnostics.psis_k, reasons)
        if level == "refuse":
            assert any("Pareto" in reason for reason in status.refusals)


def test_concentration_refuses_only_with_a_large_top_share_and_a_large_cv() -> None:
    thresholds = GateThresholds(min_ess_fraction=0.0, min_ess=0.0, max_psis_k=math.inf, warn_psis_k=math.inf)
    concentrated = np.log(np.concatenate([np.full(50, 30.0), np.ones(950)]))
    diagnostics = overlap_diagnostics(concentrated)
    assert diagnostics.top_share > 0.3 and diagnostics.weight_cv > 2.0
    assert any("top 5%" in reason for reason in evaluate_gates(diagnostics, thresholds).refusals)
    spread = np.log(np.concatenate([np.full(50, 9.0), np.ones(950)]))
    calm = overlap_diagnostics(spread)
    assert calm.top_share > 0.3 and calm.weight_cv < 2.0
    assert not any("top 5%" in reason for reason in evaluate_gates(calm, thresholds).refusals)


def test_mean_weight_away_from_one_refuses_ips_and_warns_self_normalised_estimators() -> None:
    thresholds = GateThresholds()
    rng = np.random.default_rng(5)
    inflated = overlap_diagnostics(rng.normal(0.5, 0.3, 1000))  # mean weight about 1.7
    ips = evaluate_gates(inflated, thresholds, "unnormalised")
    snips = evaluate_gates(inflated, thresholds, "self-normalised")
    assert any("mean weight" in reason for reason in ips.refusals)
    assert not snips.refusals and any("mean weight" in reason for reason in snips.warnings)
    fair = overlap_diagnostics(rng.normal(-0.045, 0.3, 1000))  # mean weight about 1
    assert evaluate_gates(fair, thresholds, "unnormalised").level == "pass"


def test_support_mass_is_exact_beyond_the_float_range() -> None:
    log_weights = np.full(100, 720.0)  # exp(720) overflows a float
    diagnostics = overlap_diagnostics(log_weights)
    assert diagnostics.log_support_mass == 720.0
    assert diagnostics.support_mass == math.inf and diagnostics.support_mass_relative_se == 0.0
    status = evaluate_gates(diagnostics, GateThresholds(min_ess=0.0), "unnormalised")
    assert any("mean weight exp(720.0)" in reason for reason in status.refusals)
    shifted = overlap_diagnostics(np.log(np.array([0.5, 1.5, 1.0, 2.0])) + 705.0)
    assert math.isclose(shifted.log_support_mass, 705.0 + math.log(1.25))


def test_missingness_check_flags_exclusion_tied_to_judge_score() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    judge = rng.uniform(size=n)
    lengths = rng.poisson(200, n).astype(float)
    present = np.ones(n, dtype=bool)
    random_exclusion = rng.uniform(size=n) < 0.1
    calm = missingness_check(random_exclusion, judge, present, lengths, GateThresholds())
    assert calm.tested and calm.status.level == "pass"
    informative = judge < 0.15
    loud = missingness_check(informative, judge, present, lengths, GateThresholds())
    assert loud.status.level == "refuse"
    assert loud.associations[0].variable == "judge_score" and loud.associations[0].smd < -1
    few = missingness_check(np.arange(n) < 3, judge, present, lengths, GateThresholds())
    assert not few.tested and few.status.warnings
