"""``ips``: Horvitz-Thompson on raw weights; overflow and underflow are typed failures."""

from __future__ import annotations

import math

from returns.result import Failure, Success

from cje_fp.estimation.estimators.ips import ESTIMATOR, ips
from tests.helpers.estimation import arrays


def test_closed_form_of_ips() -> None:
    run = arrays([math.log(2.0), math.log(0.5), 0.0, 0.0], [1.0, 0.0, 0.5, 0.0])
    ips_value = ips(run).map(lambda r: r.value)
    assert ips_value == Success((2.0 + 0.0 + 0.5 + 0.0) / 4)


def test_ips_refuses_to_overflow() -> None:
    outcome = ips(arrays([800.0, 0.0], [1.0, 0.0]))
    assert outcome.alt(lambda e: e.kind) == Failure("weight_overflow")


def test_ips_is_registered_as_unnormalised() -> None:
    assert ESTIMATOR.name == "ips" and ESTIMATOR.normalisation == "unnormalised"
