"""Records as data: ``to_data`` for JSON, ``from_dict`` back, every error kind included."""

from __future__ import annotations

import json
import math

import attrs
import numpy as np
from returns.result import Success

from cje_fp.estimation import REFUSALS, error_from_dict, to_data
from cje_fp.estimation._audit_records import (
    BoundaryAudit,
    CalibrationDoesNotTransport,
    JudgeOutOfRange,
    NoFreshDraws,
    TransportAudit,
)
from cje_fp.estimation._errors import (
    InformativeMissingness,
    InsufficientOverlap,
    InvalidOption,
    LabelsNotRandom,
    MissingJudgeScores,
    NonFiniteEstimate,
    TooFewClusters,
    TooFewOracleLabels,
    TooFewRows,
    UnknownPolicy,
    WeightOverflow,
    WeightUnderflow,
)
from cje_fp.estimation._label_design import label_dependence
from cje_fp.estimation._records import SCHEMA_VERSION
from cje_fp.estimation.diagnostics import (
    GateStatus,
    GateThresholds,
    missingness_check,
    overlap_diagnostics,
)
from tests.helpers.results import error_of, value_of


def _overlap_with(*, hill_tail_index: float, psis_k: float | None, support_mass_se: float) -> InsufficientOverlap:
    diagnostics = attrs.evolve(
        overlap_diagnostics(np.log(np.linspace(0.1, 3.0, 60))),
        hill_tail_index=hill_tail_index,
        psis_k=psis_k,
        support_mass_se=support_mass_se,
    )
    return InsufficientOverlap(target="t", diagnostics=diagnostics, reasons=("ESS fraction 0.01 < 0.1",))


def _every_error() -> list[object]:
    check = missingness_check(
        np.arange(200) < 40, np.linspace(0.0, 1.0, 200), np.ones(200, bool), np.ones(200), GateThresholds()
    )
    return [
        UnknownPolicy(name="x", available=("a", "b")),
        InvalidOption(option="level", reason="1.5 is not in (0, 1)"),
        TooFewRows(target="t", n_used=3, minimum=30, excluded=(("base_log_prob:null", 2),)),
        TooFewOracleLabels(n_labels=4, minimum=10, reason="need 2 per fold"),
        MissingJudgeScores(n_missing=2, lines=(3, 9)),
        WeightOverflow(target="t", max_log_weight=800.0),
        WeightUnderflow(target="t", max_log_weight=-800.0),
        TooFewClusters(target="t", n_clusters=1, minimum=5),
        NonFiniteEstimate(target="t", estimator="snips", quantity="value", detail="not a number"),
        _overlap_with(hill_tail_index=math.inf, psis_k=None, support_mass_se=math.inf),
        InformativeMissingness(target="t", check=check, reasons=check.status.refusals),
        LabelsNotRandom(check=label_dependence(np.linspace(0.0, 1.0, 200), np.arange(200) > 150)),
        NoFreshDraws(target="t", available=("base", "u")),
        CalibrationDoesNotTransport(
            target="t",
            audit=TransportAudit(
                status="FAIL", mean_residual=-0.2, se=0.03, ci=(-0.26, -0.14), df=49.0, n_probe=50, margin=0.05
            ),
        ),
        JudgeOutOfRange(
            target="t",
            audit=BoundaryAudit(
                status="REFUSE", out_of_range_share=0.3, below_share=0.1, above_share=0.2, labelled_range=(0.1, 0.9)
            ),
        ),
    ]


def test_every_error_kind_round_trips_through_json_text() -> None:
    errors = _every_error()
    assert len({type(error) for error in errors}) == 15
    for error in errors:
        data = error.to_dict()  # type: ignore[attr-defined]
        assert data["schema_version"] == SCHEMA_VERSION and data["kind"] == error.kind  # type: ignore[attr-defined]
        text = json.dumps(data, allow_nan=False)
        assert error_from_dict(json.loads(text)) == Success(error)
        assert type(error).from_dict(json.loads(text)) == Success(error)  # type: ignore[attr-defined]
    assert set(REFUSALS) <= {type(error) for error in errors}


def test_non_finite_numbers_are_strings_in_json_and_floats_again_when_read() -> None:
    refusal = _overlap_with(hill_tail_index=math.inf, psis_k=math.nan, support_mass_se=-math.inf)
    data = refusal.to_dict()
    overlap = data["diagnostics"]
    assert isinstance(overlap, dict)
    assert (overlap["hill_tail_index"], overlap["psis_k"], overlap["support_mass_se"]) == ("inf", "nan", "-inf")
    read = value_of(InsufficientOverlap.from_dict(json.loads(json.dumps(data, allow_nan=False))))
    assert read.diagnostics.hill_tail_index == math.inf and read.diagnostics.support_mass_se == -math.inf
    assert read.diagnostics.psis_k is not None and math.isnan(read.diagnostics.psis_k)
    assert read.to_dict() == data  # NaN is never equal to itself, its record is


def test_data_that_is_not_the_record_is_an_invalid_record() -> None:
    good = TooFewRows(target="t", n_used=3, minimum=30, excluded=()).to_dict()
    assert error_of(TooFewRows.from_dict({**good, "schema_version": 2})).kind == "invalid_record"
    assert "n_used" in error_of(TooFewRows.from_dict({**good, "n_used": "three"})).reason
    assert "expected 'too_few_rows'" in error_of(TooFewRows.from_dict({**good, "kind": "weight_overflow"})).reason
    assert "unknown kind 'magic'" in error_of(error_from_dict({**good, "kind": "magic"})).reason
    assert error_of(error_from_dict("text")).kind == "invalid_record"


def test_to_data_makes_json_of_records_mappings_and_numpy_scalars() -> None:
    data = to_data({"status": GateStatus(refusals=("a",)), "n": np.int64(3), "flag": np.bool_(True), "x": (1.0,)})
    assert data == {"status": {"refusals": ["a"], "warnings": []}, "n": 3, "flag": True, "x": [1.0]}
    json.dumps(data, allow_nan=False)
