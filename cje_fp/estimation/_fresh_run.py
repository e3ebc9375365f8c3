"""One fresh-draw estimate on arrays: audits first, then the estimator, then its interval.

``run_fresh`` is what both the dataset-level API and the known-truth simulation
call, so the simulation validates exactly the code users run. Order:

1. boundary audit (refuses with ``JudgeOutOfRange`` above its threshold, unless
   the probe correction is on: prediction-powered inference needs no extrapolation);
2. the direct estimator (always: the transport audit checks its reward);
3. transport audit on the probe rows, if any: FAIL refuses every estimator with
   ``CalibrationDoesNotTransport`` unless ``probe_correction``; INCONCLUSIVE warns;
4. the requested estimator (``stacked-dr`` stacks direct with DR and TMLE when
   the weights pass their overlap gates, and with direct alone otherwise, saying so);
5. the probe correction (when asked) on each component before stacking.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

import attrs
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.estimation._audits import (
    BoundaryAudit,
    BoundaryThresholds,
    CalibrationDoesNotTransport,
    JudgeOutOfRange,
    TransportAudit,
    TransportThresholds,
    boundary_audit,
    transport_audit,
)
from cje_fp.estimation._errors import InsufficientOverlap, InvalidOption
from cje_fp.estimation._fresh_core import (
    ComponentRun,
    FreshArrays,
    Part,
    direct,
    doubly_robust,
    run_interval,
    tmle,
    with_probe_correction,
)
from cje_fp.estimation._fresh_reward import RewardModel
from cje_fp.estimation._fresh_stack import stack
from cje_fp.estimation._inference import Interval
from cje_fp.estimation.diagnostics import GateThresholds

FreshEstimatorName: TypeAlias = Literal["direct", "dr", "tmle", "stacked-dr"]

FreshRunError: TypeAlias = InsufficientOverlap | CalibrationDoesNotTransport | JudgeOutOfRange | InvalidOption
"""Why ``run_fresh`` gave no number."""


@attrs.frozen(kw_only=True)
class FreshOptions:
    """Everything about a fresh-draw estimate except the estimator."""

    level: float = 0.95
    probe_correction: bool = False
    allow_flagged: bool = False
    """Report a flagged number where the weights' overlap gates or the boundary audit refuse
    (never where the transport audit FAILs: that takes ``probe_correction``)."""
    transport: TransportThresholds = TransportThresholds()
    boundary: BoundaryThresholds = BoundaryThresholds()
    gates: GateThresholds = GateThresholds()
    disagreement_level: float | None = 0.99
    """stacked-dr drops direct when direct and DR differ at this level (the weights then say the
    calibration does not transport); None keeps direct whatever DR says."""


@attrs.frozen(kw_only=True, eq=False)
class FreshRun:
    """A fresh-draw estimate on arrays: the run, its interval, the audits and warnings."""

    estimator: FreshEstimatorName
    run: ComponentRun
    interval: Interval
    direct_value: float
    """The direct estimate (the DR decomposition's first term is close to it)."""
    transport: TransportAudit | None
    boundary: BoundaryAudit
    warnings: tuple[str, ...]
    flagged: bool


def direct_disagreement(components: list[ComponentRun], level: float) -> str | None:
    """Why direct should leave the stack: DR's correction (DR minus direct, paired by cluster) is
    significant at ``level``; None when they agree or DR is absent."""
    direct_run = next((run for run in components if run.name == "direct"), None)
    dr_run = next((run for run in components if run.name == "dr"), None)
    if direct_run is None or dr_run is None:
        return None
    difference = dr_run.value - direct_run.value
    parts = tuple(
        Part(name=mine.name, influence=mine.influence - theirs.influence, df=min(mine.df, theirs.df))
        for mine, theirs in zip(dr_run.parts, direct_run.parts, strict=True)
    )
    paired = ComponentRun(name="difference", value=difference, parts=parts, draw_prediction=direct_run.draw_prediction,
                          probe_prediction=None, label_coefficient=None)
    low, high = run_interval(paired, level).ci
    if low > 0.0 or high < 0.0:
        return (
            f"stacked-dr without direct: DR minus direct is {difference:+.4f} [{low:+.4f}, {high:+.4f}] "
            f"({level:.0%}): the importance weights say the calibration does not transport"
        )
    return None


@attrs.define
class _Notes:
    """Warnings and the flag collected on the way to an estimate."""

    warnings: list[str] = attrs.field(factory=list)
    flagged: bool = False


@attrs.frozen(kw_only=True, eq=False)
class _Audited:
    direct_run: ComponentRun
    transport: TransportAudit | None
    boundary: BoundaryAudit


def _audit(
    model: RewardModel, arrays: FreshArrays, options: FreshOptions, target: str, notes: _Notes
) -> Result[_Audited, FreshRunError]:
    """Steps 1-3: the boundary audit, the direct run and the transport audit."""
    if options.probe_correction and not arrays.has_probe:
        return Failure(InvalidOption(option="probe_correction", reason=f"no probe rows for {target!r}"))
    boundary = boundary_audit(model, arrays.draw_judge, options.boundary)
    if boundary.status == "REFUSE" and not (options.probe_correction or options.allow_flagged):
        return Failure(JudgeOutOfRange(target=target, audit=boundary))
    if boundary.status != "PASS":
        notes.flagged = boundary.status == "REFUSE" and not options.probe_correction
        notes.warnings.append(boundary.describe())
    direct_run = direct(model, arrays)
    transport = transport_audit(model, arrays, direct_run, options.transport)
    if transport is not None and transport.status == "FAIL" and not options.probe_correction:
        return Failure(CalibrationDoesNotTransport(target=target, audit=transport))
    if transport is not None and transport.status != "PASS":
        notes.warnings.append(transport.describe())
    return Success(_Audited(direct_run=direct_run, transport=transport, boundary=boundary))


def _components(
    model: RewardModel,
    arrays: FreshArrays,
    estimator: FreshEstimatorName,
    options: FreshOptions,
    target: str,
    audited: _Audited,
    notes: _Notes,
) -> Result[list[ComponentRun], FreshRunError]:
    """Step 4: the components the estimator needs (stacked-dr goes on without a refused DR/TMLE)."""
    components = [audited.direct_run] if estimator in ("direct", "stacked-dr") else []
    for name, function in (("dr", doubly_robust), ("tmle", tmle)):
        if estimator not in (name, "stacked-dr"):
            continue
        outcome = function(model, arrays, thresholds=options.gates, allow_flagged=options.allow_flagged, target=target)
        match sealed(outcome):
            case Success(run):
                components.append(run)
                notes.flagged = notes.flagged or bool(run.gates.refusals)
                notes.warnings.extend(f"{name}: {reason}" for reason in run.gates.warnings)
            case Failure(error):
                if estimator != "stacked-dr":
                    return Failure(error)
                notes.warnings.append(f"stacked-dr without {name}: {'; '.join(error.reasons)}")
    return Success(components)


def _finish(
    model: RewardModel,
    arrays: FreshArrays,
    estimator: FreshEstimatorName,
    options: FreshOptions,
    audited: _Audited,
    components: list[ComponentRun],
    notes: _Notes,
) -> FreshRun:
    """Step 5 and the interval: probe correction or the disagreement test, then the stack."""
    if options.probe_correction:
        corrected = [with_probe_correction(model, arrays, run) for run in components]
        components = [run for run in corrected if run is not None]
    elif estimator == "stacked-dr" and options.disagreement_level is not None:
        disagreement = direct_disagreement(components, options.disagreement_level)
        if disagreement is not None:
            components = [run for run in components if run.name != "direct"]
            notes.warnings.append(disagreement)
    final = stack(tuple(components)) if estimator == "stacked-dr" else components[0]
    return FreshRun(
        estimator=estimator,
        run=final,
        interval=run_interval(final, options.level),
        direct_value=audited.direct_run.value,
        transport=audited.transport,
        boundary=audited.boundary,
        warnings=tuple(notes.warnings),
        flagged=notes.flagged,
    )


def run_fresh(
    model: RewardModel,
    arrays: FreshArrays,
    estimator: FreshEstimatorName,
    options: FreshOptions = FreshOptions(),
    *,
    target: str = "",
) -> Result[FreshRun, FreshRunError]:
    """Audit, estimate and give the interval of one target's value from its fresh draws."""
    notes = _Notes()
    return _audit(model, arrays, options, target, notes).bind(
        lambda audited: _components(model, arrays, estimator, options, target, audited, notes).map(
            lambda components: _finish(model, arrays, estimator, options, audited, components, notes)
        )
    )
