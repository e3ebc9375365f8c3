"""``calibrated-ips`` (SIMCal): refitting jackknife over non-empty groups, skipped projection on failing weights."""

from __future__ import annotations

import numpy as np

from cje_fp.data._folds import assign_folds
from cje_fp.estimation import estimate
from cje_fp.estimation._inference import jackknife_se
from cje_fp.estimation.estimators import TargetArrays
from cje_fp.estimation.estimators._arrays import group_ratio
from cje_fp.estimation.estimators._simcal import SimcalConfig, calibrated_ips
from cje_fp.estimation.estimators.snips import snips
from tests.helpers.estimation import dataset, poor_overlap_dataset
from tests.helpers.results import value_of


def test_the_jackknife_counts_only_groups_that_hold_rows() -> None:
    rng = np.random.default_rng(6)
    n = 200
    groups = np.array([0, 3, 7, 11, 19])[np.arange(n) % 5]
    runs = TargetArrays(
        log_weights=rng.normal(0.0, 0.5, n), rewards=rng.uniform(size=n), reward_replicates=None,
        clusters=np.arange(n), groups=groups, n_groups=20,
        index_codes=np.arange(n) % 7, index_levels=np.linspace(0.0, 1.0, 7), inner_folds=np.arange(n) % 3,
    )
    assert snips(runs).group_replicates.size == 5
    assert jackknife_se(snips(runs).group_replicates)[1] == 4
    calibrated, _ = calibrated_ips(runs, SimcalConfig())
    assert calibrated.group_replicates.size == 5
    assert group_ratio(np.ones(4), np.ones(4), np.array([1, 1, 4, 4]), 6).tolist() == [1.0, 1.0]
    # through the API: 25 prompts hashed into 20 groups leave some empty; K counts the others
    ids = [f"q{i % 25}" for i in range(n)]
    log_weights = np.clip(rng.normal(0.0, 0.3, n), -1.0, 1.0)
    data = dataset([-2.0] * n, {"t": list(-2.0 + log_weights)}, list(rng.uniform(size=n)), ids)
    result = value_of(estimate(data, "t", estimator="calibrated-ips"))
    calibration = result.diagnostics.weight_calibration
    assert calibration is not None and calibration.status == "applied"
    non_empty = np.unique(assign_folds(data.cluster_hashes, data.clusters, 20, SimcalConfig().group_seed)).size
    assert non_empty < 20 and result.df == non_empty - 1
    # at most 20 prompts: one jackknife group per prompt
    eight = dataset([-2.0] * n, {"t": [-2.0] * n}, list(rng.uniform(size=n)), [f"p{i % 8}" for i in range(n)])
    assert value_of(estimate(eight, "t", estimator="calibrated-ips")).df == 7


def test_weight_calibration_is_skipped_when_the_raw_weights_fail_the_gates() -> None:
    data = poor_overlap_dataset()
    calibrated = value_of(estimate(data, "t", estimator="calibrated-ips", allow_flagged=True))
    plain = value_of(estimate(data, "t", estimator="snips", allow_flagged=True))
    calibration = calibrated.diagnostics.weight_calibration
    assert calibration is not None and calibration.status == "skipped" and calibration.shift is None
    assert calibrated.value == plain.value and calibrated.se == plain.se
    assert calibrated.flagged and any("skipped" in warning for warning in calibrated.diagnostics.gates.warnings)
    assert calibrated.diagnostics.final_ess_fraction < 0.1  # not the projection's cosmetic ESS
