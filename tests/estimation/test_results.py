"""Estimates, comparisons and tables are data: ``from_dict(to_dict(x)) == x``, refusals and None fields included."""

from __future__ import annotations

import json
import math

import numpy as np
from returns.result import Success

from cje_fp.estimation import Comparison, Estimate, EstimateTable, compare, estimate, estimate_all
from tests.helpers.estimation import calibrated_dataset, dataset, poor_overlap_dataset
from tests.helpers.results import error_of, value_of


def _through_json(data: object) -> object:
    return json.loads(json.dumps(data, allow_nan=False))


def test_estimates_round_trip_with_their_diagnostics() -> None:
    n = 80
    flat = dataset([-2.0] * n, {"same": [-2.0] * n}, [float(i % 2) for i in range(n)])
    oracle = value_of(estimate(flat, "same", estimator="ips"))
    assert oracle.se_oracle is None and oracle.diagnostics.overlap.hill_tail_index == math.inf  # equal top weights
    calibrated_data, _ = calibrated_dataset(400, judge_noise=0.1)
    calibrated = value_of(estimate(calibrated_data, "t", estimator="calibrated-ips"))
    assert calibrated.diagnostics.weight_calibration is not None and calibrated.diagnostics.calibration is not None
    flagged = value_of(estimate(poor_overlap_dataset(), "t", estimator="calibrated-ips", allow_flagged=True))
    for original in (oracle, calibrated, flagged):
        data = original.to_dict()
        assert data["schema_version"] == 1 and data["estimator"] == original.estimator
        assert Estimate.from_dict(_through_json(data)) == Success(original)


def test_comparisons_round_trip() -> None:
    rng = np.random.default_rng(9)
    n = 200
    data = dataset([-2.0] * n, {"a": list(-2.0 + rng.normal(0.0, 0.2, n)), "b": [-2.0] * n}, list(rng.uniform(size=n)))
    for baseline in ("b", "<base>"):
        comparison = value_of(compare(data, "a", baseline))
        assert Comparison.from_dict(_through_json(comparison.to_dict())) == Success(comparison)


def test_tables_round_trip_with_refusals_in_order() -> None:
    rng = np.random.default_rng(10)
    n = 200
    data = dataset([-2.0] * n, {"t": list(-2.0 + rng.normal(0.0, 0.2, n))}, list(rng.uniform(size=n)))
    table = estimate_all(data, estimators=("snips", "magic", "ips"), targets=("t", "missing"))
    kinds = [error_of(result).kind for target, _, result in table if target == "missing" or _ == "magic"]
    assert set(kinds) == {"invalid_option", "unknown_policy"}
    data_dict = table.to_dict()
    read = value_of(EstimateTable.from_dict(_through_json(data_dict)))
    assert read == table and list(read.results) == list(table.results)
    refused = estimate_all(poor_overlap_dataset(), estimators=("ips",))
    assert EstimateTable.from_dict(_through_json(refused.to_dict())) == Success(refused)
    assert error_of(EstimateTable.from_dict({"schema_version": 1, "results": [{"target": 1}]})).kind == "invalid_record"
