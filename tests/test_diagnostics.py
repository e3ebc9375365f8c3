"""Overlap diagnostics, gates and the missingness check."""

from __future__ import annotations

import math

import numpy as np

from cje_fp.diagnostics import GateThresholds, evaluate_gates, hill_tail_index, missingness_check, overlap_diagnostics


def test_ess_share_and_near_zero_mass() -> None:
    log_weights = np.log(np.array([4.0, 1.0, 1.0, 1.0, 1e-12, 1e-12]))
    diagnostics = overlap_diagnostics(log_weights)
    weights = np.exp(log_weights)
    assert math.isclose(diagnostics.ess_fraction, weights.sum() ** 2 / np.sum(weights**2) / 6)
    assert math.isclose(diagnostics.max_weight_share, 4.0 / weights.sum())
    assert math.isclose(diagnostics.near_zero_fraction, 2 / 6)
    assert math.isclose(diagnostics.support_mass, weights.mean())
    assert diagnostics.hill_tail_index is None


def test_hill_recovers_pareto_tails_in_log_space() -> None:
    rng = np.random.default_rng(0)
    for alpha in (0.8, 2.5):
        estimate, k = hill_tail_index(np.log(rng.pareto(alpha, 200_000) + 1.0) + 900.0)
        assert estimate is not None and abs(estimate - alpha) < 0.1 * alpha
        assert k == 10_000


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
