"""``snips``: the self-normalised (Hajek) estimator on mean-one weights."""

from __future__ import annotations

import math

from cje_fp.estimation.estimators.snips import ESTIMATOR, snips
from tests.helpers.estimation import arrays


def test_closed_form_of_snips() -> None:
    run = arrays([math.log(2.0), math.log(0.5), 0.0, 0.0], [1.0, 0.0, 0.5, 0.0])
    assert math.isclose(snips(run).value, (2.0 * 1.0 + 0.5 * 0.0 + 1.0 * 0.5 + 1.0 * 0.0) / 4.5)


def test_snips_ignores_a_common_factor_in_the_weights() -> None:
    run = arrays([0.3, -0.2, 1.1, 0.0], [1.0, 0.0, 0.5, 0.25])
    shifted = arrays([0.3 + 700.0, -0.2 + 700.0, 1.1 + 700.0, 700.0], [1.0, 0.0, 0.5, 0.25])
    assert math.isclose(snips(run).value, snips(shifted).value, rel_tol=1e-12)
    assert ESTIMATOR.name == "snips" and ESTIMATOR.normalisation == "self-normalised"
