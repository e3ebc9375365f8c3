"""The forest plot as inline SVG: one line per estimate (its CI) with a dot (its value).

Drawn by hand so that a report page needs neither matplotlib nor the network.
Each estimate's dot carries ``data-policy``, ``data-estimator`` and ``data-value``;
a refused entry is a row of text, never a dot.

>>> from cje_fp.report._entries import entry_views
>>> svg = forest_svg(entry_views({"estimates": {"t": {"snips": {"status": "ok", "value": 0.5,
...     "ci": [0.4, 0.6]}}, "u": {"snips": {"status": "refused", "kind": "insufficient_overlap"}}}}))
>>> svg.count("<circle"), "refused: insufficient_overlap" in svg
(1, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Final

from cje_fp.report._entries import EntryView

_LABEL_WIDTH: Final = 300
_PLOT_WIDTH: Final = 420
_ROW: Final = 26
_TOP: Final = 14
_AXIS: Final = 40


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [low, high]."""
    span = high - low
    raw = span / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = min((m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw), default=raw)
    first = math.ceil(low / step) * step
    ticks = []
    tick = first
    while tick <= high + step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    return ticks


def _range(entries: Sequence[EntryView]) -> tuple[float, float]:
    points = [point for entry in entries if not entry.refused and entry.ci is not None for point in entry.ci]
    points += [entry.value for entry in entries if entry.value is not None]
    if not points:
        return (0.0, 1.0)
    low, high = min(points), max(points)
    pad = (high - low) * 0.08 or 0.05
    return (low - pad, high + pad)


def forest_svg(entries: Sequence[EntryView]) -> str:
    """An SVG forest plot of ``entries`` (estimates with their CIs; refusals named)."""
    low, high = _range(entries)

    def x(value: float) -> float:
        return _LABEL_WIDTH + (value - low) / (high - low) * _PLOT_WIDTH

    height = _TOP + _ROW * max(len(entries), 1) + _AXIS
    width = _LABEL_WIDTH + _PLOT_WIDTH + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="forest" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        "<title>Estimates with confidence intervals</title>",
    ]
    bottom = _TOP + _ROW * max(len(entries), 1)
    for tick in _ticks(low, high):
        position = x(tick)
        parts.append(
            f'<line x1="{position:.1f}" y1="{_TOP - 6}" x2="{position:.1f}" y2="{bottom}" stroke="#e3e3e3"/>'
            f'<text x="{position:.1f}" y="{bottom + 16}" text-anchor="middle" fill="#444">{tick:g}</text>'
        )
    parts.append(
        f'<text x="{_LABEL_WIDTH + _PLOT_WIDTH / 2:.1f}" y="{bottom + 34}" text-anchor="middle" fill="#222">'
        "policy value</text>"
    )
    for row, entry in enumerate(entries):
        middle = _TOP + _ROW * row + _ROW / 2
        label = escape(f"{entry.policy} [{entry.estimator}]")
        parts.append(f'<text x="{_LABEL_WIDTH - 10}" y="{middle + 4:.1f}" text-anchor="end">{label}</text>')
        if entry.refused or entry.value is None:
            parts.append(
                f'<text class="refused" x="{_LABEL_WIDTH + 6}" y="{middle + 4:.1f}" fill="#b00020">'
                f"refused: {escape(entry.kind or entry.status)}</text>"
            )
            continue
        colour = "#d97706" if entry.flagged else "#1f5fae"
        if entry.ci is not None:
            parts.append(
                f'<line x1="{x(entry.ci[0]):.1f}" y1="{middle:.1f}" x2="{x(entry.ci[1]):.1f}" y2="{middle:.1f}" '
                f'stroke="{colour}" stroke-width="2.5"/>'
            )
        interval = f" [{entry.ci[0]:.4f}, {entry.ci[1]:.4f}]" if entry.ci is not None else ""
        parts.append(
            f'<circle cx="{x(entry.value):.1f}" cy="{middle:.1f}" r="4.5" fill="{colour}" '
            f'data-policy="{escape(entry.policy)}" data-estimator="{escape(entry.estimator)}" '
            f'data-value="{entry.value!r}"><title>{label}: {entry.value:.4f}{interval}'
            f"{' (flagged)' if entry.flagged else ''}</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
