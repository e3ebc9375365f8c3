"""The missingness check: exclusion tied to the judge score refuses, random exclusion passes."""

from __future__ import annotations

import numpy as np

from cje_fp.estimation.diagnostics._gates import GateThresholds
from cje_fp.estimation.diagnostics._missingness import missingness_check


def test_missingness_check_flags_exclusion_tied_to_judge_score() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    judge = rng.uniform(size=n)
    lengths = rng.poisson(200, n).astype(float)
    present = np.ones(n, dtype=bool)
    random_exclusion = rng.uniform(size=n) < 0.1
    calm = missingness_check(random_exclusion, judge, present, lengths, GateThresholds())
    assert calm.tested and calm.status.level == "pass"
    informative = judge < 0.15
    loud = missingness_check(informative, judge, present, lengths, GateThresholds())
    assert loud.status.level == "refuse"
    assert loud.associations[0].variable == "judge_score" and loud.associations[0].smd < -1
    few = missingness_check(np.arange(n) < 3, judge, present, lengths, GateThresholds())
    assert not few.tested and few.status.warnings
