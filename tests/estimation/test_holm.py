"""``compare_all``: Holm-adjusted p-values and simultaneous intervals among the reported comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import t as student_t

from cje_fp.data import Dataset
from cje_fp.estimation import BASE, compare, compare_all
from tests.helpers.estimation import dataset
from tests.helpers.results import error_of, value_of


def _data() -> Dataset:
    rng = np.random.default_rng(4)
    n = 400
    rewards = rng.uniform(size=n).round(3).tolist()
    base = [-3.0] * n
    # tilt each target towards high or low rewards by different amounts
    targets = {
        name: [-3.0 + tilt * (reward - 0.5) - 0.1 for reward in rewards]
        for name, tilt in (("up", 1.0), ("down", -0.6), ("flat", 0.05))
    }
    return dataset(base, targets, rewards)


def test_holm_p_values_and_simultaneous_intervals_over_the_reported_comparisons() -> None:
    data = _data()
    found = compare_all(data, ["up", "down", "flat", "missing"], BASE, estimator="snips")
    assert error_of(found["missing"]).kind == "unknown_policy"  # not in the family: m = 3
    plain = {name: value_of(compare(data, name, BASE, estimator="snips")) for name in ("up", "down", "flat")}
    ranked = sorted(plain, key=lambda name: plain[name].p_value)
    running = 0.0
    for rank, name in enumerate(ranked):
        adjusted, raw = value_of(found[name]), plain[name]
        running = max(running, min(1.0, (3 - rank) * raw.p_value))
        assert adjusted.holm_p_value == pytest.approx(running)
        assert adjusted.difference == raw.difference and adjusted.se == raw.se
        assert adjusted.level == pytest.approx(1 - 0.05 / 3)  # every interval at the family's level
        half = student_t.ppf(1 - 0.05 / 3 / 2, raw.df) * raw.se
        assert adjusted.ci == pytest.approx((raw.difference - half, raw.difference + half))
        assert raw.p_value == pytest.approx(2 * student_t.sf(abs(raw.difference) / raw.se, raw.df))
    assert value_of(found["up"]).difference > 0 > value_of(found["down"]).difference


def test_without_holm_the_intervals_are_compare_s() -> None:
    data = _data()
    found = compare_all(data, ["up", "flat"], BASE, estimator="snips", holm=False)
    for name in ("up", "flat"):
        assert value_of(found[name]) == value_of(compare(data, name, BASE, estimator="snips"))
        assert value_of(found[name]).holm_p_value is None
