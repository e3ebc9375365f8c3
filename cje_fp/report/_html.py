"""A JSON report as one self-contained HTML page (no network), or as a notebook fragment.

The page holds the forest plot (inline SVG), the per-policy table, refusals and
their reasons, audits (when the report has them), weight diagnostics and
provenance. Every number cell carries the JSON's exact value in ``data-value``
and shows it rounded.

>>> document = {"estimates": {"t": {"snips": {"status": "ok", "value": 0.5, "se": 0.1,
...     "ci": [0.3, 0.7]}}}, "provenance": {"data": {"path": "x.jsonl"}}}
>>> page = report_page(document)
>>> page.startswith("<!DOCTYPE html>"), 'data-value="0.5"' in page, "http" in page.replace(
...     'xmlns="http://www.w3.org/2000/svg"', "")
(True, True, False)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Final

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from cje_fp.report._entries import (
    EntryView,
    as_mapping,
    as_number,
    as_text,
    entry_views,
)
from cje_fp.report._html_template import BODY, PAGE, STYLE
from cje_fp.report._svg import forest_svg

_ENVIRONMENT: Final = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_BODY: Final = _ENVIRONMENT.from_string(BODY)
_PAGE: Final = _ENVIRONMENT.from_string(PAGE)


def number_cell(value: object, field: str, template: str = "{:.4f}") -> Markup:
    """A right-aligned cell showing ``value`` rounded, with its exact value in ``data-value``.

    >>> str(number_cell(0.123456, "value"))
    '<td class="number" data-field="value" data-value="0.123456">0.1235</td>'
    >>> str(number_cell(None, "se"))
    '<td class="number" data-field="se">-</td>'
    """
    number = as_number(value)
    if number is None:
        return Markup('<td class="number" data-field="{}">-</td>').format(field)
    exact = repr(int(number)) if isinstance(value, int) else repr(number)
    return Markup('<td class="number" data-field="{}" data-value="{}">{}</td>').format(
        field, exact, template.format(number)
    )


def json_html(value: object) -> Markup:
    """Any JSON value as nested key/value tables (objects), lists or text; all escaped.

    >>> str(json_html({"a": [1, "<b>"]}))
    '<table class="json"><tr><th>a</th><td>1, &lt;b&gt;</td></tr></table>'
    """
    if isinstance(value, Mapping):
        if not value:
            return Markup('<span class="muted">none</span>')
        items = Markup("").join(
            Markup("<tr><th>{}</th><td>{}</td></tr>").format(str(key), json_html(item)) for key, item in value.items()
        )
        return Markup('<table class="json">{}</table>').format(items)
    if isinstance(value, Sequence) and not isinstance(value, str):
        if all(not isinstance(item, Mapping | list) for item in value):
            return Markup(", ").join(json_html(item) for item in value)
        return Markup("<ol>{}</ol>").format(Markup("").join(Markup("<li>{}</li>").format(json_html(item)) for item in value))
    if value is None:
        return Markup('<span class="muted">null</span>')
    if isinstance(value, bool | int | float):
        return escape(json.dumps(value))
    return escape(str(value))


def _weights(entries: Sequence[EntryView]) -> list[tuple[str, Mapping[str, object]]]:
    """One overlap summary per policy (the weights are the estimators' common input)."""
    seen: dict[str, Mapping[str, object]] = {}
    for entry in entries:
        if entry.overlap and entry.policy not in seen:
            seen[entry.policy] = entry.overlap
    return list(seen.items())


def _body(document: Mapping[str, object], *, title: str, forest: bool) -> Markup:
    entries = entry_views(document)
    provenance = as_mapping(document.get("provenance"))
    data = as_mapping(provenance.get("data"))
    audits = document.get("audits")
    return Markup(
        _BODY.render(
            title=title,
            data_path=as_text(data.get("path")),
            sha256=as_text(data.get("sha256")),
            created=as_text(provenance.get("created")),
            schema_version=document.get("schema_version"),
            n_ok=sum(not entry.refused for entry in entries),
            n_refused=sum(entry.refused for entry in entries),
            n_policies=len({entry.policy for entry in entries}),
            forest=Markup(forest_svg(entries)) if forest and entries else None,
            entries=entries,
            refusals=[entry for entry in entries if entry.refused],
            warned=[entry for entry in entries if entry.warnings and not entry.refused],
            audits=None if audits is None else json_html(audits),
            weights=_weights(entries),
            calibrations=[entry for entry in entries if entry.calibration],
            provenance=json_html(provenance),
            number=number_cell,
        )
    )


def report_fragment(document: Mapping[str, object], *, title: str = "cje-fp estimates") -> str:
    """The report as an HTML fragment with its own scoped style (for ``_repr_html_``)."""
    style = Markup("<style>{}</style>").format(Markup(STYLE))
    return str(style + _body(document, title=title, forest=True))


def report_page(document: Mapping[str, object], *, title: str = "cje-fp report") -> str:
    """The report as one self-contained HTML page: inline CSS and SVG, no script, no network."""
    return _PAGE.render(title=title, style=Markup(STYLE), body=_body(document, title=title, forest=True))
