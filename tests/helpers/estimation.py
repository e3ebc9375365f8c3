"""Small datasets and arrays for estimator tests, and a check that two estimates agree."""

from __future__ import annotations

import math

import numpy as np

from cje_fp.data._dataset import Dataset
from cje_fp.estimation import Estimate, EstimatorName
from cje_fp.estimation.estimators import TargetArrays

#: The estimators with a distinct computation (the clipped ones share IPS's and SNIPS's).
ALL_THREE: tuple[EstimatorName, ...] = ("snips", "ips", "calibrated-ips")


def dataset(
    base: list[float], targets: dict[str, list[float]], rewards: list[float], ids: list[str] | None = None
) -> Dataset:
    """Every row judged and labelled with ``rewards``; one prompt per row unless ``ids`` says otherwise."""
    return Dataset.from_arrays(
        prompt_ids=ids or [f"p{i}" for i in range(len(base))],
        base_log_prob=base,
        target_log_probs={name: list(values) for name, values in targets.items()},
        judge_score=rewards,
        oracle_label=rewards,
    )


def arrays(log_weights: list[float], rewards: list[float]) -> TargetArrays:
    """One row per cluster, four jackknife groups."""
    n = len(log_weights)
    return TargetArrays(
        log_weights=np.array(log_weights), rewards=np.array(rewards), reward_replicates=None,
        clusters=np.arange(n), groups=np.arange(n) % 4, n_groups=4,
    )


def calibrated_dataset(n: int, judge_noise: float, seed: int = 3) -> tuple[Dataset, np.ndarray]:
    """A target preferring responses better than their judge score says; 30% of rows labelled."""
    rng = np.random.default_rng(seed)
    oracle = rng.uniform(size=n)
    judge = np.clip(oracle + rng.normal(0.0, judge_noise, n), 0.0, 1.0)
    log_weights = 1.5 * (oracle - judge) + rng.normal(0.0, 0.2, n)
    labelled = rng.uniform(size=n) < 0.3
    data = Dataset.from_arrays(
        prompt_ids=[f"p{i}" for i in range(n)], base_log_prob=[-5.0] * n,
        target_log_probs={"t": list(np.minimum(-5.0 + log_weights, 0.0))}, judge_score=list(judge),
        oracle_label=[float(y) if flag else None for y, flag in zip(oracle, labelled, strict=True)],
    )
    return data, log_weights


def poor_overlap_dataset() -> Dataset:
    """One weight carries almost all the mass: the overlap gates refuse every estimator."""
    rng = np.random.default_rng(0)
    n = 400
    base = list(rng.uniform(-30.0, -10.0, n))
    target = [min(0.0, b + (20.0 if i == 0 else -15.0 * rng.uniform())) for i, b in enumerate(base)]
    return dataset(base, {"t": target}, list(rng.uniform(size=n)))


def assert_same(a: Estimate, b: Estimate) -> None:
    """Value, SE and the whole interval agree (to rounding)."""
    for x, y in ((a.value, b.value), (a.se, b.se), (a.ci[0], b.ci[0]), (a.ci[1], b.ci[1]), (a.df, b.df)):
        assert math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12), (a.describe(), b.describe())
    calibration_a, calibration_b = a.diagnostics.weight_calibration, b.diagnostics.weight_calibration
    assert (calibration_a is None) == (calibration_b is None)
    if calibration_a is not None and calibration_b is not None:
        assert calibration_a.status == calibration_b.status
