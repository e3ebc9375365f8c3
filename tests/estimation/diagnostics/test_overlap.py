"""Overlap diagnostics of raw log weights: ESS, shares, near-zero and support mass, beyond the float range."""

from __future__ import annotations

import math

import numpy as np

from cje_fp.estimation.diagnostics._gates import GateThresholds, evaluate_gates
from cje_fp.estimation.diagnostics._overlap import ess_fraction, ess_fraction_of_weights, overlap_diagnostics


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


def test_support_mass_is_exact_beyond_the_float_range() -> None:
    log_weights = np.full(100, 720.0)  # exp(720) overflows a float
    diagnostics = overlap_diagnostics(log_weights)
    assert diagnostics.log_support_mass == 720.0
    assert diagnostics.support_mass == math.inf and diagnostics.support_mass_relative_se == 0.0
    status = evaluate_gates(diagnostics, GateThresholds(min_ess=0.0), "unnormalised")
    assert any("mean weight exp(720.0)" in reason for reason in status.refusals)
    shifted = overlap_diagnostics(np.log(np.array([0.5, 1.5, 1.0, 2.0])) + 705.0)
    assert math.isclose(shifted.log_support_mass, 705.0 + math.log(1.25))


def test_one_ess_whatever_the_scale_of_the_weights() -> None:
    rng = np.random.default_rng(4)
    log_weights = rng.normal(0.0, 1.5, 500)
    weights = np.exp(log_weights)
    kish = weights.sum() ** 2 / np.sum(weights**2) / weights.size
    assert math.isclose(ess_fraction(log_weights), kish, rel_tol=1e-12)
    assert math.isclose(ess_fraction(log_weights + 800.0), kish, rel_tol=1e-9)  # exp(800) overflows
    assert math.isclose(ess_fraction_of_weights(weights), kish, rel_tol=1e-12)
    assert math.isclose(overlap_diagnostics(log_weights).ess_fraction, kish, rel_tol=1e-12)
    with_zeros = np.concatenate([weights, np.zeros(500)])
    assert math.isclose(ess_fraction_of_weights(with_zeros), kish / 2, rel_tol=1e-12)
