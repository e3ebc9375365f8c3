"""Estimates as HTML for notebooks (``_repr_html_``): the table, refusals and diagnostics.

>>> from returns.result import Failure
>>> from cje_fp.estimation._errors import UnknownPolicy
>>> html = estimates_html([("x", "snips", Failure(UnknownPolicy(name="x", available=("t",))))])
>>> "refused" in html and "unknown_policy" in html
True
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from cje_fp.estimation._frame import COLUMNS, estimate_rows
from cje_fp.estimation._results import EstimateResult

_HEADERS = {
    "value": "estimate", "se": "SE", "ci_low": "CI low", "ci_high": "CI high", "n_used": "rows used",
    "n_excluded": "rows excluded", "ess_fraction": "ESS", "kind": "refusal", "reason": "reason",
}  # fmt: skip
_SHOWN = ("policy", "estimator", "status", "value", "se", "ci_low", "ci_high", "n_used", "n_excluded",
          "ess_fraction", "gate", "reason")  # fmt: skip


def _cell(name: str, value: object) -> str:
    if value is None:
        return '<td style="text-align:right">-</td>' if name not in ("reason", "gate") else "<td></td>"
    if isinstance(value, float):
        text = f"{value:.1%}" if name == "ess_fraction" else f"{value:.4f}"
        return f'<td style="text-align:right" title="{value!r}">{text}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td style="text-align:right">{value}</td>'
    style = ' style="color:#b00020;font-weight:600"' if value == "refused" else ""
    return f"<td{style}>{escape(str(value))}</td>"


def estimates_html(results: Iterable[tuple[str, str, EstimateResult]]) -> str:
    """An HTML table: one row per (policy, estimator); a refusal shows its kind and reason, no number."""
    assert set(_SHOWN) <= set(COLUMNS)
    rows = estimate_rows(results)
    head = "".join(f"<th>{escape(_HEADERS.get(name, name))}</th>" for name in _SHOWN)
    body = "".join(
        "<tr>" + "".join(_cell(name, row[name]) for name in _SHOWN) + "</tr>" for row in rows
    )
    refused = sum(row["status"] == "refused" for row in rows)
    caption = f"{len(rows) - refused} estimate(s), {refused} refused"
    return (
        f'<table class="cje-fp-estimates"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
