"""``compare``: both policies' gates, the missingness of the rows it cannot use, paired differences."""

from __future__ import annotations

import math

import numpy as np
from returns.result import Failure, Success

from cje_fp.data._dataset import Dataset
from cje_fp.errors._sealed import sealed
from cje_fp.estimation import BASE, ExtraInputs, FreshInputs, compare, estimate
from cje_fp.estimation._errors import InformativeMissingness
from cje_fp.simulation import NEAR, draw_replication
from cje_fp.simulation._fresh_contrasts import replication_inputs
from tests.helpers.estimation import dataset
from tests.helpers.results import value_of


def test_compare_checks_both_policies_and_the_rows_it_cannot_use() -> None:
    rng = np.random.default_rng(11)
    n = 600
    judge = rng.uniform(size=n)
    baseline = [None if s < 0.2 else -2.0 + float(rng.normal(0.0, 0.1)) for s in judge]
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=[-2.0] * n,
        target_log_probs={"t": list(-2.0 + rng.normal(0.0, 0.1, n)), "b": baseline},
        judge_score=list(judge), oracle_label=list(judge),
    )
    refusal = compare(data, "t", "b")
    match sealed(refusal):
        case Failure(InformativeMissingness(reasons=reasons)):
            assert "judge_score" in " ".join(reasons)
        case other:
            raise AssertionError(f"expected an informative-missingness refusal, got {other!r}")
    match sealed(compare(data, "t", "b", allow_flagged=True)):
        case Success(comparison):
            assert comparison.flagged and comparison.gates.level == "refuse"
            assert comparison.n_used == sum(value is not None for value in baseline)
        case Failure(problem):
            raise AssertionError(problem.describe())


def test_a_policy_against_itself_differs_by_exactly_zero() -> None:
    rng = np.random.default_rng(12)
    n = 300
    log_weights = list(-2.0 + rng.normal(0.0, 0.3, n))
    data = dataset([-2.0] * n, {"t": log_weights, "twin": log_weights}, list(rng.uniform(size=n)))
    for estimator in ("snips", "ips", "calibrated-ips"):
        twin = value_of(compare(data, "t", "twin", estimator=estimator))
        assert twin.difference == 0.0 and twin.se == 0.0 and twin.baseline == "twin"
    against_base = value_of(compare(data, "t", BASE))
    assert math.isclose(against_base.baseline_value, float(np.mean(data.oracle.values)), rel_tol=1e-12)


def test_a_fresh_draw_contrast_pairs_both_sides_by_prompt_and_uses_the_base_draws() -> None:
    dataset_, fresh = replication_inputs(draw_replication(NEAR, seed=12))
    extra = ExtraInputs(fresh=FreshInputs(data=fresh))
    for estimator in ("direct", "dr", "stacked-dr"):
        found = value_of(compare(dataset_, "better", BASE, estimator=estimator, extra=extra))
        target = value_of(estimate(dataset_, "better", estimator=estimator, extra=extra))
        assert found.estimator == estimator and found.target_value == target.value
        assert found.difference == found.target_value - found.baseline_value
        # the base side is the base policy's own draws: its direct value is their calibrated mean
        assert abs(found.baseline_value - NEAR.truth("base")) < 4 * target.se
        # paired: the calibration's error, shared by both sides, cancels (unpaired, the SE of a
        # difference would exceed the target's own)
        assert found.se < target.se, (found.se, target.se)
    other = value_of(compare(dataset_, "better", "worse", estimator="stacked-dr", extra=extra))
    assert other.baseline == "worse" and other.difference > 0
