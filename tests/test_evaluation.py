"""Estimators against exact truth over >= 200 seeded replications: bias, coverage, refusals.

Each study draws fresh logs from a known-truth world; the assertions are about
statistics (bias within Monte Carlo error, 95% CI coverage in [0.91, 0.99]),
not about particular numbers.
"""

from __future__ import annotations

import math

from cje_fp.evaluation import EstimatorPerformance, evaluate_estimators
from cje_fp.simulation import TargetSpec, WorldConfig, build_world

REPLICATIONS = 200


def assert_covers(row: EstimatorPerformance) -> None:
    assert row.n_failed == 0 and row.refusal_rate <= 0.02, row.describe()
    assert row.bias is not None and row.sd is not None and row.coverage is not None
    assert 0.91 <= row.coverage <= 0.99, row.describe()
    assert abs(row.bias) < 0.5 * row.sd, row.describe()


def assert_honest(row: EstimatorPerformance) -> None:
    """Coverage in the band and no bias beyond Monte Carlo error."""
    assert_covers(row)
    assert row.bias is not None and row.sd is not None
    monte_carlo_error = row.sd / math.sqrt(row.n_estimates)
    assert abs(row.bias) < 3.5 * monte_carlo_error + 1e-4, row.describe()


def test_ips_and_snips_are_unbiased_and_cover_on_good_overlap() -> None:
    world = build_world(WorldConfig(n_contexts=1500, seed=11, judge_noise=0.1))
    report = evaluate_estimators(
        world, n=400, replications=REPLICATIONS, estimators=("ips", "snips"), seed=1000, oracle_fraction=1.0
    )
    for row in report.rows:
        assert_honest(row)
    assert report.get("better", "snips").truth > world.truth["base"] + 0.03


def test_calibrated_ips_covers_when_the_judge_is_a_monotone_transform_of_the_oracle() -> None:
    config = WorldConfig(
        n_contexts=1500,
        seed=12,
        judge_noise=0.0,
        judge_power=1.7,
        targets=(
            TargetSpec(name="better", quality_tilt=2.0, token_noise=0.05),
            TargetSpec(name="much_better", quality_tilt=6.0, token_noise=0.05),
            TargetSpec(name="much_worse", quality_tilt=-6.0, token_noise=0.05),
            TargetSpec(name="noisy", token_noise=0.2),
        ),
    )
    world = build_world(config)
    report = evaluate_estimators(
        world, n=500, replications=REPLICATIONS, estimators=("calibrated-ips",), seed=2000, oracle_fraction=0.25
    )
    for row in report.rows:
        # isotonic calibration from 25% labels leaves a small boundary bias: coverage is the claim
        assert_covers(row)
    # The incumbent's failure: a strong preference collapsed to the base value with a tight CI.
    for name in ("much_better", "much_worse"):
        row = report.get(name, "calibrated-ips")
        assert row.bias is not None and row.mean_se is not None
        distance = abs(world.truth[name] - world.truth["base"])
        assert distance > 0.12 and abs(row.bias) < 0.1 * distance


def test_engineered_poor_overlap_is_refused_every_time() -> None:
    world = build_world(
        WorldConfig(n_contexts=500, seed=13, targets=(TargetSpec(name="unhelpful", rare_boost=12.0),))
    )
    report = evaluate_estimators(
        world, n=400, replications=REPLICATIONS // 4, estimators=("snips", "calibrated-ips"), seed=3000
    )
    for row in report.rows:
        assert row.refusal_rate == 1.0, row.describe()
    flagged = evaluate_estimators(
        world, n=400, replications=REPLICATIONS // 4, estimators=("snips",), seed=3000, allow_flagged=True
    )
    row = flagged.get("unhelpful", "snips")
    # what the refusal protects against: a confident number far from the truth
    assert row.coverage is not None and row.coverage < 0.1
