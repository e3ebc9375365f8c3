"""Figures: a forest plot of estimates, log-weight distributions, the calibration curve.

matplotlib is an optional extra (``pip install "cje-fp[plot]"``); without it
``write_figures`` returns ``Failure(PlotsUnavailable(...))`` saying how to get it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar, final

import attrs
import numpy as np
from returns.result import Failure, Result, Success

from cje_fp.data import Dataset
from cje_fp.errors import sealed
from cje_fp.estimation import EstimateTable, calibrate
from cje_fp.estimation.diagnostics import ess_fraction
from cje_fp.report._table import refused, successes

FIGURES = ("forest.png", "log_weights.png", "calibration.png")


@final
@attrs.frozen(kw_only=True)
class PlotsUnavailable:
    """matplotlib (the ``plot`` extra) is not installed or cannot be imported."""

    kind: ClassVar[str] = "plots_unavailable"
    error: str
    """The import error."""

    def describe(self) -> str:
        return f'plots need matplotlib, an optional extra: pip install "cje-fp[plot]" ({self.error})'


def matplotlib_missing() -> PlotsUnavailable | None:
    """Why figures cannot be drawn here, or None when matplotlib imports."""
    try:
        import matplotlib  # noqa: F401 - only checking that it imports
    except ImportError as error:
        return PlotsUnavailable(error=str(error))
    return None


def write_figures(
    folder: Path,
    *,
    table: EstimateTable,
    dataset: Dataset,
    truth: Mapping[str, float] | None,
) -> Result[tuple[Path, ...], PlotsUnavailable]:
    """Write the three figures (``FIGURES``) into ``folder``; their paths, or why there are none."""
    missing = matplotlib_missing()
    if missing is not None:
        return Failure(missing)
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    paths = tuple(folder / name for name in FIGURES)
    _forest(paths[0], table, truth)
    _log_weights(paths[1], dataset)
    _calibration(paths[2], dataset)
    return Success(paths)


def _forest(path: Path, table: EstimateTable, truth: Mapping[str, float] | None) -> None:
    import matplotlib.pyplot as plt

    rows = successes(table)
    declined = refused(table)
    labels = [f"{target} [{estimator}]" for target, estimator, _ in rows]
    labels += [f"{target} [{estimator}] refused" for target, estimator, _ in declined]
    figure, axes = plt.subplots(figsize=(8, 0.35 * max(len(labels), 4) + 1.2))
    for position, (target, _, estimate) in enumerate(rows):
        low, high = estimate.ci
        axes.plot([low, high], [position, position], color="tab:blue", linewidth=2)
        axes.plot(estimate.value, position, "o", color="tab:blue")
        if truth is not None and target in truth:
            axes.plot(truth[target], position, "x", color="tab:red", markersize=8)
    for offset, _ in enumerate(declined):
        axes.text(0.5, len(rows) + offset, "refused", color="tab:red", va="center", ha="center")
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    axes.set_xlabel("policy value" + (" (x: truth)" if truth is not None else ""))
    axes.set_title("Estimates with confidence intervals")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _log_weights(path: Path, dataset: Dataset) -> None:
    import matplotlib.pyplot as plt

    names = dataset.target_names
    figure, axes_grid = plt.subplots(len(names), 1, figsize=(7, 1.8 * len(names) + 0.6), squeeze=False)
    for axes, name in zip(axes_grid[:, 0], names, strict=True):
        usable = dataset.usable_mask(name)
        log_weights = dataset.targets[name].values[usable] - dataset.base.values[usable]
        if log_weights.size:
            ess = ess_fraction(log_weights)
            axes.hist(log_weights, bins=60, color="tab:blue")
            axes.set_title(f"{name}: {log_weights.size} rows, ESS {ess:.1%}", fontsize=9)
        else:
            axes.set_title(f"{name}: no usable rows", fontsize=9)
    axes_grid[-1, 0].set_xlabel("log importance weight")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _calibration(path: Path, dataset: Dataset) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(5, 4))
    labelled = dataset.oracle.present & dataset.judge.present
    judge, oracle = dataset.judge.values[labelled], dataset.oracle.values[labelled]
    jitter = np.random.default_rng(0).uniform(-0.01, 0.01, size=judge.size)
    axes.scatter(judge + jitter, oracle, s=6, alpha=0.4, label=f"{judge.size} oracle labels")
    match sealed(calibrate(dataset)):
        case Success(calibration):
            grid = np.linspace(float(judge.min()), float(judge.max()), 200)
            axes.plot(grid, calibration.rewards(grid), color="tab:red", label="fitted map (isotonic)")
            axes.set_title(f"Judge calibration (out-of-fold RMSE {calibration.rmse_out_of_fold:.3f})", fontsize=9)
        case Failure(error):
            axes.set_title(f"no calibration: {error.describe()}", fontsize=8)
    axes.set_xlabel("judge score")
    axes.set_ylabel("oracle label")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
