"""Fresh draws on the real arena sample: the estimates issue 10 asks for, and the refusal of ``unhelpful``."""

from __future__ import annotations

import pytest
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.estimation import (
    BASE,
    Estimate,
    EstimationError,
    ExtraInputs,
    FreshData,
    FreshDiagnostics,
    FreshInputs,
    FreshOptions,
    compare_all,
    estimate_all,
)
from cje_fp.io import load_draw_directory
from tests.helpers.optional import arena_dir
from tests.test_arena import arena

PROBE_SE = 0.03
"""The probe mean's SE (50 rows): the issue widens each interval by it on each side."""


@pytest.fixture(scope="module")
def fresh() -> FreshData:
    data = arena()
    loaded = {}
    for folder, kind in (("fresh_draws", "fresh"), ("probe_slice", "probe")):
        match sealed(load_draw_directory(arena_dir() / folder, kind=kind, policies=data.target_names,  # type: ignore[arg-type]
                                         logged_prompts=data.prompt_ids)):
            case Success(tables):
                loaded[kind] = tables
            case Failure(errors):
                pytest.fail("; ".join(error.describe() for error in errors))
    return FreshData(draws=loaded["fresh"], probes=loaded["probe"])


def _probe_mean(fresh: FreshData, target: str) -> float:
    return float(fresh.probes[target].oracle.mean())


def _estimate(result: object) -> tuple[Estimate, FreshDiagnostics]:
    match result:
        case Success(Estimate(fresh=FreshDiagnostics() as diagnostics) as estimate):
            return estimate, diagnostics
        case _:
            pass
    raise AssertionError(f"expected a fresh-draw estimate, got {result}")


def _extra(fresh: FreshData, options: FreshOptions = FreshOptions()) -> ExtraInputs:
    return ExtraInputs(fresh=FreshInputs(data=fresh, options=options))


def estimate_fresh_all(
    fresh: FreshData, *, targets: tuple[str, ...], estimators: tuple[str, ...], options: FreshOptions = FreshOptions()
) -> dict[tuple[str, str], Result[Estimate, EstimationError]]:
    table = estimate_all(arena(), estimators=estimators, targets=targets, extra=_extra(fresh, options))
    return dict(table.results)


def test_clone_and_parallel_universe_get_estimates_covering_their_probe_means(fresh: FreshData) -> None:
    results = estimate_fresh_all(fresh, targets=("clone", "parallel_universe_prompt"), estimators=("direct", "stacked-dr"))
    for (target, _), result in results.items():
        estimate, diagnostics = _estimate(result)
        low, high = estimate.ci
        assert low - PROBE_SE <= _probe_mean(fresh, target) <= high + PROBE_SE, estimate.describe()
        assert diagnostics.transport is not None and diagnostics.transport.status != "FAIL"


def test_parallel_universe_stacks_direct_alone_because_its_weights_fail_the_gates(fresh: FreshData) -> None:
    results = estimate_fresh_all(fresh, targets=("parallel_universe_prompt",), estimators=("stacked-dr", "dr", "snips"))
    assert _estimate(results[("parallel_universe_prompt", "stacked-dr")])[1].stack_weights == (("direct", 1.0),)
    assert results[("parallel_universe_prompt", "dr")].alt(lambda e: e.kind) == Failure("insufficient_overlap")
    # the logged-data gates refuse snips on the same rows; they do not apply to stacked-dr
    assert results[("parallel_universe_prompt", "snips")].alt(lambda e: e.kind) == Failure("insufficient_overlap")


def test_unhelpful_is_refused_by_the_transport_audit(fresh: FreshData) -> None:
    results = estimate_fresh_all(fresh, targets=("unhelpful",), estimators=("direct", "stacked-dr"))
    for result in results.values():
        match sealed(result):
            case Failure(error):
                assert error.kind == "calibration_does_not_transport"
                assert "probe mean residual -0.2" in error.describe()
            case Success(estimate):
                pytest.fail(f"unhelpful was not refused: {estimate.describe()}")


def test_probe_corrected_unhelpful_lands_on_its_probe_mean(fresh: FreshData) -> None:
    """The probe rows are among the draws, so this checks the arithmetic (validity: the simulation)."""
    results = estimate_fresh_all(fresh, targets=("unhelpful",), estimators=("stacked-dr",),
                                 options=FreshOptions(probe_correction=True))
    estimate, diagnostics = _estimate(results[("unhelpful", "stacked-dr")])
    low, high = estimate.ci
    assert diagnostics.probe_corrected and low <= _probe_mean(fresh, "unhelpful") <= high
    assert abs(estimate.value - _probe_mean(fresh, "unhelpful")) < 0.05


def test_paired_contrasts_against_the_base_draws_are_holm_adjusted(fresh: FreshData) -> None:
    targets = ("clone", "parallel_universe_prompt", "unhelpful")
    audited = compare_all(arena(), targets, BASE, estimator="stacked-dr", extra=_extra(fresh))
    reported = {name: result.value_or(None) for name, result in audited.items()}
    assert reported["unhelpful"] is None
    assert audited["unhelpful"].alt(lambda e: e.kind) == Failure("calibration_does_not_transport")
    for name in ("clone", "parallel_universe_prompt"):
        found = reported[name]
        assert found is not None and found.level == pytest.approx(1 - 0.05 / 2)
        assert found.holm_p_value is not None and found.holm_p_value >= found.p_value
    corrected = compare_all(
        arena(), targets, BASE, estimator="stacked-dr", extra=_extra(fresh, FreshOptions(probe_correction=True))
    )
    for name in targets:
        assert corrected[name].map(lambda c: c.level) == Success(pytest.approx(1 - 0.05 / 3))
    match sealed(corrected["unhelpful"]):
        case Success(unhelpful):
            assert unhelpful.ci[1] < 0 and unhelpful.holm_p_value is not None and unhelpful.holm_p_value < 0.001
        case Failure(error):
            pytest.fail(error.describe())
