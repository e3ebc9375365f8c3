"""Fresh-draw estimators on arrays: direct, DR, TMLE, their stack, and the probe correction.

Every estimator here is a mean over a target's fresh draws of a per-draw
prediction of the oracle label (averaged per prompt, then over prompts), plus
a correction estimated on the labelled logged rows:

- ``direct``: prediction ``f^(-k)(S) + rbar_b(S)`` (see ``fresh_reward``): the
  calibrated judge with the labelled residuals re-weighted to the target's
  judge distribution. Valid when calibration transports from the base policy
  to the target (``E[Y | S]`` the same under both): the transport audit checks it.
- ``dr``: prediction ``f^(-k)(S)`` plus the importance-weighted mean residual
  ``delta = sum_L w (Y - f^(-k)(S)) / sum_L w`` over the labelled logged rows
  (self-normalised teacher-forced weights). Valid when the calibration
  transports **or** the weights are right; the overlap gates of the weights on
  the labelled rows apply (a refusal is ``InsufficientOverlap``).
- ``tmle``: the outcome map fluctuated on the logit scale, ``Q_eps =
  expit(logit f^(-k)(S) + eps)``, with ``eps`` solving ``sum_L w (Y - Q_eps) =
  0`` (a weighted-intercept targeting step): a substitution estimator in
  [0, 1] with the DR's influence function.
- ``stacked``: the convex combination of the available components with the
  smallest variance of the combined influence function.

Influence functions are per **cluster** (prompt): ``psi_hat - psi ~ mean_g
phi_g`` over the ``G`` clusters of the union of logged, fresh and probe
prompts. They come in named parts (fresh draws, oracle labels, probe rows);
the SE is the clustered SE of their sum (so covariances count) and the
degrees of freedom are Satterthwaite's over the parts, each with its own df
(clusters with draws - 1, labels - cells or the weighted labels' ESS - 1, probe rows - 1).

The **probe correction** adds ``mean_probe(Y - prediction(S))`` over the
target's oracle-labelled probe rows (prediction-powered inference): valid
whether or not calibration transports. Its influence adds a probe part, and
the calibration's part shrinks to the difference between the draws' and the
probe's judge distributions (the map's error cancels to first order).
"""

from __future__ import annotations

from typing import Final, Literal, TypeAlias

import attrs
import numpy as np
from returns.result import Failure, Result, Success
from scipy.optimize import brentq
from scipy.special import expit, logit

from cje_fp.data import BoolArray, FloatArray, IntArray
from cje_fp.estimation._errors import InsufficientOverlap
from cje_fp.estimation._fresh_reward import RewardModel
from cje_fp.estimation._inference import (
    Interval,
    VarianceComponent,
    cluster_se,
    interval,
)
from cje_fp.estimation.diagnostics import (
    GateStatus,
    GateThresholds,
    OverlapDiagnostics,
    evaluate_gates,
    overlap_diagnostics,
)

ComponentName: TypeAlias = Literal["direct", "dr", "tmle"]
COMPONENTS: Final[tuple[ComponentName, ...]] = ("direct", "dr", "tmle")

#: Predictions are kept this far inside (0, 1) before the logit of the TMLE fluctuation.
_LOGIT_CLIP: Final = 1e-6


@attrs.frozen(kw_only=True, eq=False)
class FreshArrays:
    """One target's fresh draws (and probe rows), the labelled logged rows' weights, the clusters."""

    n_clusters: int
    cluster_folds: IntArray
    """Fold of every cluster (the reward model's prompt folds)."""
    label_clusters: IntArray
    """Cluster of each labelled logged row, in the reward model's label order."""
    label_log_weights: FloatArray | None
    """Target log weight of each labelled logged row (NaN: none); None when no weights (no DR)."""
    draw_clusters: IntArray
    draw_judge: FloatArray
    probe_clusters: IntArray | None = None
    probe_judge: FloatArray | None = None
    probe_oracle: FloatArray | None = None
    draw_covariate: FloatArray | None = None
    """A covariate of each draw (e.g. response length) when the reward model's cells use one."""
    probe_covariate: FloatArray | None = None

    @property
    def draw_folds(self) -> IntArray:
        """Fold of each draw's prompt."""
        folds: IntArray = self.cluster_folds[self.draw_clusters]
        return folds

    @property
    def has_probe(self) -> bool:
        """Whether probe rows were given."""
        return self.probe_clusters is not None and self.probe_clusters.size > 0


@attrs.frozen(kw_only=True, eq=False)
class Part:
    """One named part of an influence function (per cluster) with its degrees of freedom."""

    name: str
    influence: FloatArray
    df: float


@attrs.frozen(kw_only=True, eq=False)
class ComponentRun:
    """A point estimate, its influence parts and the per-draw predictions it averaged."""

    name: str
    value: float
    parts: tuple[Part, ...]
    draw_prediction: FloatArray
    probe_prediction: FloatArray | None
    label_coefficient: FloatArray | None
    """Direct only: the bin shares the labelled residuals were re-weighted to."""
    correction: float = 0.0
    """DR/TMLE: the weighted mean residual ``delta``; probe-corrected: the probe mean residual."""
    overlap: OverlapDiagnostics | None = None
    gates: GateStatus = GateStatus()
    stack_weights: tuple[tuple[str, float], ...] = ()
    probe_corrected: bool = False

    @property
    def influence(self) -> FloatArray:
        """The total influence per cluster."""
        total: FloatArray = np.sum([part.influence for part in self.parts], axis=0)
        return total


def cluster_mean(values: FloatArray, clusters: IntArray, n_clusters: int) -> tuple[float, FloatArray, int]:
    """Mean over clusters of each cluster's mean of ``values``; its influence per cluster; clusters used."""
    counts = np.bincount(clusters, minlength=n_clusters)
    sums = np.bincount(clusters, weights=values, minlength=n_clusters)
    present = counts > 0
    used = int(present.sum())
    means = np.where(present, sums / np.maximum(counts, 1), 0.0)
    value = float(means[present].mean())
    influence = np.where(present, n_clusters * (means - value) / used, 0.0)
    return value, influence, used


def _fresh_part(predictions: FloatArray, arrays: FreshArrays) -> tuple[float, Part]:
    value, influence, used = cluster_mean(predictions, arrays.draw_clusters, arrays.n_clusters)
    return value, Part(name="fresh", influence=influence, df=float(used - 1))


def direct(model: RewardModel, arrays: FreshArrays) -> ComponentRun:
    """The calibrated judge on the target's draws with the binned residual correction."""
    folds = arrays.draw_folds
    predictions = model.corrected(arrays.draw_judge, folds, arrays.draw_covariate)
    value, fresh = _fresh_part(predictions, arrays)
    shares = model.bin_shares(arrays.draw_judge, arrays.draw_clusters, arrays.draw_covariate)
    labels = Part(
        name="labels",
        influence=model.label_influence(shares, arrays.label_clusters, arrays.n_clusters),
        df=float(model.n_labels - model.n_bins),
    )
    return ComponentRun(
        name="direct",
        value=value,
        parts=(fresh, labels),
        draw_prediction=predictions,
        probe_prediction=_probe_prediction(model, arrays, corrected=True),
        label_coefficient=shares,
    )


def _probe_prediction(model: RewardModel, arrays: FreshArrays, *, corrected: bool) -> FloatArray | None:
    if arrays.probe_clusters is None or arrays.probe_judge is None:
        return None
    folds = arrays.cluster_folds[arrays.probe_clusters]
    if corrected:
        return model.corrected(arrays.probe_judge, folds, arrays.probe_covariate)
    return model.predict(arrays.probe_judge, folds)


@attrs.frozen(kw_only=True, eq=False)
class _Weighted:
    rows: BoolArray
    weights: FloatArray
    overlap: OverlapDiagnostics
    gates: GateStatus


def _label_weights(
    arrays: FreshArrays, thresholds: GateThresholds, allow_flagged: bool, target: str
) -> Result[_Weighted, InsufficientOverlap]:
    log_weights = arrays.label_log_weights
    if log_weights is None:
        return Failure(
            InsufficientOverlap(
                target=target,
                diagnostics=overlap_diagnostics(np.zeros(1)),
                reasons=("no importance weights for the labelled rows",),
            )
        )
    rows = np.isfinite(log_weights)
    if int(rows.sum()) < 2:
        return Failure(
            InsufficientOverlap(
                target=target,
                diagnostics=overlap_diagnostics(np.zeros(1)),
                reasons=(f"{int(rows.sum())} labelled rows have a weight for {target!r}",),
            )
        )
    used = log_weights[rows]
    overlap = overlap_diagnostics(used, thresholds.near_zero_weight)
    gates = evaluate_gates(overlap, thresholds)
    if gates.refusals and not allow_flagged:
        return Failure(InsufficientOverlap(target=target, diagnostics=overlap, reasons=gates.refusals))
    weights = np.exp(used - used.max())
    return Success(_Weighted(rows=rows, weights=weights / weights.mean(), overlap=overlap, gates=gates))


def _weighted_part(
    residuals: FloatArray, weighted: _Weighted, arrays: FreshArrays
) -> tuple[float, Part]:
    """``sum w r / sum w`` over the labelled rows with weights, and its influence per cluster."""
    weights = weighted.weights
    delta = float(np.dot(weights, residuals) / weights.sum())
    clusters = arrays.label_clusters[weighted.rows]
    per_row = arrays.n_clusters * weights * (residuals - delta) / weights.sum()
    influence = np.bincount(clusters, weights=per_row, minlength=arrays.n_clusters).astype(np.float64)
    n_label_clusters = int(np.count_nonzero(np.bincount(clusters)))
    # A weighted mean has about ESS - 1 degrees of freedom (Kish), never more than clusters - 1.
    df = min(float(n_label_clusters - 1), weighted.overlap.ess - 1.0)
    return delta, Part(name="labels", influence=influence, df=max(df, 1.0))


def doubly_robust(
    model: RewardModel,
    arrays: FreshArrays,
    *,
    thresholds: GateThresholds = GateThresholds(),
    allow_flagged: bool = False,
    target: str = "",
) -> Result[ComponentRun, InsufficientOverlap]:
    """Direct term with the uncorrected map plus the importance-weighted labelled residual."""

    def run(weighted: _Weighted) -> ComponentRun:
        predictions = model.predict(arrays.draw_judge, arrays.draw_folds)
        value, fresh = _fresh_part(predictions, arrays)
        delta, labels = _weighted_part(model.label_residual[weighted.rows], weighted, arrays)
        probe = _probe_prediction(model, arrays, corrected=False)
        return ComponentRun(
            name="dr",
            value=value + delta,
            parts=(fresh, labels),
            draw_prediction=predictions + delta,
            probe_prediction=None if probe is None else probe + delta,
            label_coefficient=None,
            correction=delta,
            overlap=weighted.overlap,
            gates=weighted.gates,
        )

    return _label_weights(arrays, thresholds, allow_flagged, target).map(run)


def _fluctuation(oracle: FloatArray, base_logit: FloatArray, weights: FloatArray) -> float:
    """``eps`` with ``sum w (Y - expit(base_logit + eps)) = 0`` (0 when the residuals are one-signed at the ends)."""

    def score(eps: float) -> float:
        return float(np.dot(weights, oracle - expit(base_logit + eps)))

    low, high = -30.0, 30.0
    if score(low) <= 0.0 or score(high) >= 0.0:
        return 0.0
    root: float = brentq(score, low, high, xtol=1e-12)
    return root


def _logit(values: FloatArray) -> FloatArray:
    clipped: FloatArray = logit(np.clip(values, _LOGIT_CLIP, 1.0 - _LOGIT_CLIP))
    return clipped


def tmle(
    model: RewardModel,
    arrays: FreshArrays,
    *,
    thresholds: GateThresholds = GateThresholds(),
    allow_flagged: bool = False,
    target: str = "",
) -> Result[ComponentRun, InsufficientOverlap]:
    """The map fluctuated by a weighted intercept on the logit scale, averaged over the draws."""

    def run(weighted: _Weighted) -> ComponentRun:
        label_prediction = model.predict(model.label_judge, model.label_folds)[weighted.rows]
        eps = _fluctuation(model.label_oracle[weighted.rows], _logit(label_prediction), weighted.weights)
        targeted = expit(_logit(label_prediction) + eps)
        predictions = expit(_logit(model.predict(arrays.draw_judge, arrays.draw_folds)) + eps)
        value, fresh = _fresh_part(predictions, arrays)
        residuals = model.label_oracle[weighted.rows] - targeted
        delta, labels = _weighted_part(residuals, weighted, arrays)
        probe = _probe_prediction(model, arrays, corrected=False)
        return ComponentRun(
            name="tmle",
            value=value + delta,
            parts=(fresh, labels),
            draw_prediction=predictions + delta,
            probe_prediction=None if probe is None else expit(_logit(probe) + eps) + delta,
            label_coefficient=None,
            correction=eps,
            overlap=weighted.overlap,
            gates=weighted.gates,
        )

    return _label_weights(arrays, thresholds, allow_flagged, target).map(run)


def probe_residual(
    model: RewardModel, arrays: FreshArrays, run: ComponentRun
) -> tuple[float, tuple[Part, ...]] | None:
    """``mean_probe(Y - prediction(S))`` and its influence parts (probe rows; labels for direct)."""
    if arrays.probe_clusters is None or arrays.probe_oracle is None or run.probe_prediction is None:
        return None
    residuals = arrays.probe_oracle - run.probe_prediction
    n_probe = residuals.size
    mean = float(residuals.mean())
    per_row = arrays.n_clusters * (residuals - mean) / n_probe
    probe = Part(
        name="probe",
        influence=np.bincount(arrays.probe_clusters, weights=per_row, minlength=arrays.n_clusters).astype(np.float64),
        df=float(n_probe - 1),
    )
    if run.label_coefficient is None or arrays.probe_judge is None:
        return mean, (probe,)
    probe_shares = model.bin_shares(arrays.probe_judge, arrays.probe_clusters, arrays.probe_covariate)
    labels = Part(
        name="labels",
        influence=model.label_influence(-probe_shares, arrays.label_clusters, arrays.n_clusters),
        df=float(model.n_labels - model.n_bins),
    )
    return mean, (probe, labels)


def with_probe_correction(model: RewardModel, arrays: FreshArrays, run: ComponentRun) -> ComponentRun | None:
    """``run`` plus the probe mean residual (None without probe rows)."""
    found = probe_residual(model, arrays, run)
    if found is None:
        return None
    mean, probe_parts = found
    fresh = next(part for part in run.parts if part.name == "fresh")
    parts = [fresh, *(part for part in probe_parts if part.name == "probe")]
    if run.label_coefficient is not None:
        # Direct: the labels' residual bins enter the draws and the probe rows with opposite signs.
        assert arrays.probe_judge is not None and arrays.probe_clusters is not None
        shares = run.label_coefficient - model.bin_shares(
            arrays.probe_judge, arrays.probe_clusters, arrays.probe_covariate
        )
        parts.append(
            Part(
                name="labels",
                influence=model.label_influence(shares, arrays.label_clusters, arrays.n_clusters),
                df=float(model.n_labels - model.n_bins),
            )
        )
    return attrs.evolve(
        run,
        value=run.value + mean,
        parts=tuple(parts),
        draw_prediction=run.draw_prediction + mean,
        correction=mean,
        probe_corrected=True,
    )


def run_interval(run: ComponentRun, level: float) -> Interval:
    """SE from the clustered total influence; Satterthwaite df over the parts."""
    clusters = np.arange(run.parts[0].influence.size)
    total_se, _ = cluster_se(run.influence - run.influence.mean(), clusters)
    part_ses = [
        VarianceComponent(name=part.name, se=cluster_se(part.influence - part.influence.mean(), clusters)[0], df=part.df)
        for part in run.parts
    ]
    df_source = interval(run.value, tuple(part_ses), level)
    total = VarianceComponent(name="total", se=total_se, df=df_source.df)
    result = interval(run.value, (total,), level)
    return attrs.evolve(result, components=tuple(part_ses))
