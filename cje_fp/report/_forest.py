"""``plot_estimates``: the forest plot of a report as a matplotlib figure, from Python.

Takes a report as JSON data (``Report.to_dict()``, or the file ``estimate --json``
wrote, loaded), anything with a ``to_dict()`` giving that, or an ``EstimateTable``.
Needs the ``plot`` extra (matplotlib). Refused entries are drawn as text, never a point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, TypeAlias

from cje_fp._extras import require_extra
from cje_fp.estimation import EstimateTable
from cje_fp.report._entries import entry_views
from cje_fp.report._json import estimates_json

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


class SupportsToDict(Protocol):
    """A report object: ``to_dict()`` gives its JSON data."""

    def to_dict(self) -> Mapping[str, object]: ...


ReportLike: TypeAlias = Mapping[str, object] | SupportsToDict | EstimateTable


def report_data(report: ReportLike) -> Mapping[str, object]:
    """The JSON data of ``report``, whichever form it came in."""
    if isinstance(report, EstimateTable):
        return {"estimates": estimates_json(report)}
    if isinstance(report, Mapping):
        return report
    return report.to_dict()


def plot_estimates(
    report: ReportLike, *, truth: Mapping[str, float] | None = None, ax: Axes | None = None
) -> Figure:
    """A forest plot: each estimate with its CI; refusals named; ``truth`` as red crosses.

    Draws on ``ax`` when given (and returns its figure), else on a new figure.
    """
    require_extra("matplotlib", extra="plot", purpose="plot_estimates()")
    import matplotlib.pyplot as plt

    entries = entry_views(report_data(report))
    if ax is None:
        figure, axes = plt.subplots(figsize=(8, 0.35 * max(len(entries), 4) + 1.2))
    else:
        axes = ax
        figure = axes.get_figure()  # type: ignore[assignment]
    for position, entry in enumerate(entries):
        if entry.refused or entry.value is None:
            axes.text(0.02, position, f"refused: {entry.kind or entry.status}", color="tab:red", va="center",
                      transform=axes.get_yaxis_transform())  # fmt: skip
            continue
        colour = "tab:orange" if entry.flagged else "tab:blue"
        if entry.ci is not None:
            axes.plot(list(entry.ci), [position, position], color=colour, linewidth=2)
        axes.plot(entry.value, position, "o", color=colour)
        if truth is not None and entry.policy in truth:
            axes.plot(truth[entry.policy], position, "x", color="tab:red", markersize=8)
    axes.set_yticks(range(len(entries)), [f"{entry.policy} [{entry.estimator}]" for entry in entries])
    axes.invert_yaxis()
    axes.set_xlabel("policy value" + (" (x: truth)" if truth is not None else ""))
    axes.set_title("Estimates with confidence intervals")
    assert figure is not None
    figure.tight_layout()
    return figure
