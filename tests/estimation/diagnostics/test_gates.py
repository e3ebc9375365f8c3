"""The gates: refuse and warn at the documented thresholds, IPS's extra mean-weight gate."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import genpareto

from cje_fp.estimation.diagnostics._gates import GateThresholds, evaluate_gates
from cje_fp.estimation.diagnostics._overlap import overlap_diagnostics


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
