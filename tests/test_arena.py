"""The real arena sample: refusals by default, and what the flagged numbers would have claimed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from returns.result import Failure, Success

from cje_fp.dataset import Dataset
from cje_fp.estimation_errors import InsufficientOverlap
from cje_fp.estimators import Estimate, EstimatorName, estimate, estimate_all
from cje_fp.io import load_dataset
from cje_fp.results import sealed

ARENA = Path(__file__).resolve().parents[2] / "shared" / "data" / "arena_sample"


def arena() -> Dataset:
    path = ARENA / "logged_data.jsonl"
    if not path.exists():
        pytest.fail(f"the arena sample is missing: expected {path} (../shared/data/arena_sample from the repo root)")
    match sealed(load_dataset(path)):
        case Success(data):
            return data
        case Failure(errors):
            raise AssertionError(errors.describe())


def probe_mean(policy: str) -> float:
    with open(ARENA / "probe_slice" / f"{policy}_probe.jsonl") as handle:
        return float(np.mean([json.loads(line)["oracle_label"] for line in handle]))


def flagged(data: Dataset, target: str, estimator: EstimatorName) -> Estimate:
    match sealed(estimate(data, target, estimator=estimator, allow_flagged=True)):
        case Success(value):
            return value
        case Failure(error):
            raise AssertionError(error.describe())


def test_unhelpful_is_refused_by_default_by_every_estimator() -> None:
    data = arena()
    table = estimate_all(data, estimators=("ips", "snips", "clipped-snips", "calibrated-ips"), targets=("unhelpful",))
    for _, _, result in table:
        match sealed(result):
            case Failure(InsufficientOverlap() as refusal):
                reasons = " ".join(refusal.reasons)
                assert "weight < 1e-10" in reasons and "support" in reasons and "ESS" in reasons
                assert refusal.diagnostics.near_zero_fraction > 0.85
                assert refusal.diagnostics.support_mass < 0.01
            case other:
                raise AssertionError(f"expected a refusal, got {other!r}")


def test_the_refused_number_would_have_missed_the_probe_truth() -> None:
    data = arena()
    truth = probe_mean("unhelpful")
    assert abs(truth - 0.1586) < 1e-3
    for estimator in ("snips", "calibrated-ips"):
        result = flagged(data, "unhelpful", estimator)
        assert result.flagged
        assert result.ci[0] > truth + 0.4  # the incumbent-style confident miss
        assert result.diagnostics.overlap.ess_fraction < 0.01


def test_snips_matches_the_reference_figures_for_the_incumbent() -> None:
    """Reference section 9.4: unclipped vs clipped-at-100 Hajek values on arena."""
    data = arena()
    assert round(flagged(data, "parallel_universe_prompt", "snips").value, 4) == 0.7504
    assert round(flagged(data, "parallel_universe_prompt", "clipped-snips").value, 4) == 0.7522
    assert round(flagged(data, "unhelpful", "snips").value, 4) == 0.7624
    assert round(flagged(data, "unhelpful", "clipped-snips").value, 4) == 0.7491


def test_calibrated_rewards_carry_oracle_uncertainty_on_arena() -> None:
    result = flagged(arena(), "clone", "calibrated-ips")
    assert result.reward_source == "calibrated"
    assert result.se_oracle is not None and result.se_oracle > 0
    assert result.se**2 == pytest.approx(result.se_sampling**2 + result.se_oracle**2)
    calibration = result.diagnostics.calibration
    assert calibration is not None and calibration.n_labels == 480 and not calibration.constant
