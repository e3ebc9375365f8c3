"""The real arena sample: what is refused by default, what is estimated, and what the flagged
numbers would have claimed."""

from __future__ import annotations

import json

import numpy as np
import pytest
from returns.result import Failure, Success

from cje_fp.data._dataset import Dataset
from cje_fp.errors._sealed import sealed
from cje_fp.estimation import (
    BASE,
    Estimate,
    EstimationConfig,
    EstimatorName,
    compare,
    estimate,
    estimate_all,
)
from cje_fp.estimation._errors import InsufficientOverlap
from cje_fp.estimation.estimators import estimators_for
from cje_fp.io import load_dataset
from tests.helpers.optional import arena_dir


def arena() -> Dataset:
    path = arena_dir() / "logged_data.jsonl"
    match sealed(load_dataset(path)):
        case Success(data):
            return data
        case Failure(errors):
            raise AssertionError(errors.describe())


def probe_mean(policy: str) -> float:
    with open(arena_dir() / "probe_slice" / f"{policy}_probe.jsonl") as handle:
        return float(np.mean([json.loads(line)["oracle_label"] for line in handle]))


def flagged(
    data: Dataset, target: str, estimator: EstimatorName, config: EstimationConfig = EstimationConfig()
) -> Estimate:
    match sealed(estimate(data, target, estimator=estimator, allow_flagged=True, config=config)):
        case Success(value):
            return value
        case Failure(error):
            raise AssertionError(error.describe())


#: Every registered estimator of the logged rows, however many (fresh-draw ones: tests/test_fresh_arena.py).
LOGGED = estimators_for(fresh_draws=False)


def test_unhelpful_is_refused_by_default_by_every_estimator() -> None:
    data = arena()
    table = estimate_all(data, estimators=LOGGED, targets=("unhelpful",))
    assert len(table.results) == len(LOGGED) >= 5
    for _, _, result in table:
        match sealed(result):
            case Failure(InsufficientOverlap() as refusal):
                reasons = " ".join(refusal.reasons)
                assert "weight < 1e-10" in reasons and "support" in reasons and "ESS" in reasons
                assert refusal.diagnostics.near_zero_fraction > 0.85
                assert refusal.diagnostics.support_mass < 0.01
            case other:
                raise AssertionError(f"expected a refusal, got {other!r}")


def test_parallel_universe_prompt_is_refused_by_default_by_every_estimator() -> None:
    table = estimate_all(arena(), estimators=LOGGED, targets=("parallel_universe_prompt",))
    for _, _, result in table:
        match sealed(result):
            case Failure(InsufficientOverlap(diagnostics=overlap, reasons=reasons)):
                assert overlap.ess_fraction < 0.01 and overlap.psis_k is not None and overlap.psis_k > 1.0
                assert any("Pareto tail shape" in reason for reason in reasons)
            case other:
                raise AssertionError(f"expected a refusal, got {other!r}")


def test_clone_gets_self_normalised_estimates_with_warnings_and_ips_is_refused() -> None:
    data = arena()
    on_policy = float(np.mean(data.oracle.values[data.oracle.present]))
    for estimator in ("snips", "calibrated-ips"):
        match sealed(estimate(data, "clone", estimator=estimator)):
            case Success(result):
                assert not result.flagged and result.diagnostics.status.level == "warn"
                warnings = " ".join(result.diagnostics.status.warnings)
                assert "ESS fraction 0.215" in warnings and "mean weight 1.28" in warnings
                overlap = result.diagnostics.overlap
                # the single-k Hill estimate says "infinite mean"; the Pareto fit of the tail does not
                assert overlap.hill_tail_index is not None and overlap.hill_tail_index < 1.0
                assert overlap.psis_k is not None and overlap.psis_k < 0.5
                low, high = result.ci
                assert low < on_policy < high and high - low < 0.15
            case Failure(error):
                raise AssertionError(error.describe())
    # the clone is the base policy: its paired difference from the base covers zero
    match sealed(compare(data, "clone", BASE)):
        case Success(comparison):
            assert comparison.ci[0] < 0.0 < comparison.ci[1]
        case Failure(error):
            raise AssertionError(error.describe())
    unnormalised: tuple[EstimatorName, ...] = ("ips", "clipped-ips")
    for estimator in unnormalised:
        match sealed(estimate(data, "clone", estimator=estimator)):
            case Failure(InsufficientOverlap(reasons=reasons)):
                # mean weight 1.28 +- 0.078 under the base policy: not a probability ratio; IPS would say 0.92
                assert reasons == (
                    "mean weight 1.28 (SE 0.078) is not 1: the log probs are not a probability ratio on these "
                    "rows (or the target has mass the base policy never produces)",
                )
            case other:
                raise AssertionError(f"expected a refusal, got {other!r}")


def test_the_refused_number_would_have_missed_the_probe_truth() -> None:
    data = arena()
    truth = probe_mean("unhelpful")
    assert abs(truth - 0.1586) < 1e-3
    for estimator in ("snips", "calibrated-ips"):
        result = flagged(data, "unhelpful", estimator)
        assert result.flagged
        # the incumbent-style confident miss (even with t on ESS 7.8 - 1 degrees of freedom)
        assert result.ci[0] > truth + 0.35
        assert result.diagnostics.overlap.ess_fraction < 0.01
        # no projection on weights that fail the gates: the incumbent's 0.876 "ESS" does not appear
        assert result.diagnostics.final_ess_fraction < 0.01
    calibration = flagged(data, "unhelpful", "calibrated-ips").diagnostics.weight_calibration
    assert calibration is not None and calibration.status == "skipped"


INCUMBENT = EstimationConfig(oracle_correction=False)


def test_snips_matches_the_reference_figures_for_the_incumbent() -> None:
    """Reference section 9.4: unclipped vs clipped-at-100 Hajek values on arena (plug-in rewards)."""
    data = arena()
    assert round(flagged(data, "parallel_universe_prompt", "snips", INCUMBENT).value, 4) == 0.7504
    assert round(flagged(data, "parallel_universe_prompt", "clipped-snips", INCUMBENT).value, 4) == 0.7522
    assert round(flagged(data, "unhelpful", "snips", INCUMBENT).value, 4) == 0.7624
    assert round(flagged(data, "unhelpful", "clipped-snips", INCUMBENT).value, 4) == 0.7491


def test_calibrated_rewards_carry_oracle_uncertainty_on_arena() -> None:
    data = arena()
    result = flagged(data, "clone", "calibrated-ips")
    assert result.reward_source == "calibrated" and not result.flagged
    assert result.se_oracle is not None and result.se_oracle > 0
    calibration = result.diagnostics.calibration
    assert calibration is not None and calibration.n_labels == 480 and not calibration.constant
    assert calibration.mode == "residual-corrected" and calibration.n_labels_used == 480
    assert calibration.residual_correction is not None
    plug_in = flagged(data, "clone", "snips", INCUMBENT)
    assert plug_in.se_oracle is not None
    assert plug_in.se**2 == pytest.approx(plug_in.se_sampling**2 + plug_in.se_oracle**2)
