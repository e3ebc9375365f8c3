"""The Jinja template of the HTML report (one self-contained page: inline CSS and SVG)."""

from __future__ import annotations

from typing import Final

STYLE: Final = """
.cje-fp-report { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
  max-width: 1100px; line-height: 1.4; }
.cje-fp-report h1 { font-size: 1.5em; margin-bottom: 0.2em; }
.cje-fp-report h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.cje-fp-report table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
.cje-fp-report th, .cje-fp-report td { border: 1px solid #d5d5d5; padding: 3px 8px; text-align: left;
  vertical-align: top; }
.cje-fp-report th { background: #f3f4f6; }
.cje-fp-report td.number { text-align: right; font-variant-numeric: tabular-nums; }
.cje-fp-report .status-refused { color: #b00020; font-weight: 600; }
.cje-fp-report .status-ok { color: #166534; }
.cje-fp-report .gate-warn { color: #a16207; }
.cje-fp-report .gate-refuse { color: #b00020; }
.cje-fp-report .muted { color: #666; }
.cje-fp-report table.json { margin: 0; font-size: 1em; }
.cje-fp-report table.json th { background: #fafafa; font-weight: 600; white-space: nowrap; }
.cje-fp-report table.json td { overflow-wrap: anywhere; }
.cje-fp-report code { font-size: 0.95em; }
"""

BODY: Final = """
<div class="cje-fp-report">
<h1>{{ title }}</h1>
<p class="muted">
{% if data_path %}data <code>{{ data_path }}</code>{% endif %}
{% if sha256 %} (SHA-256 <code>{{ sha256 }}</code>){% endif %}
{% if created %} · made {{ created }}{% endif %}
{% if schema_version is not none %} · schema version {{ schema_version }}{% endif %}
</p>
<p id="summary">{{ n_ok }} estimate{{ "" if n_ok == 1 else "s" }}, {{ n_refused }} refused, over
{{ n_policies }} polic{{ "y" if n_policies == 1 else "ies" }}.</p>

{% if forest %}
<h2 id="forest-plot">Forest plot</h2>
<figure>{{ forest }}<figcaption class="muted">Dots: estimates; lines: their confidence intervals;
orange: flagged (shown although a gate would refuse); refused entries have no number.</figcaption></figure>
{% endif %}

<h2>Estimates per policy</h2>
<table id="estimates">
<thead><tr><th>policy</th><th>estimator</th><th>status</th><th>estimate</th><th>SE</th><th>CI low</th>
<th>CI high</th><th>level</th><th>rows used</th><th>rows excluded</th><th>ESS</th><th>gate</th></tr></thead>
<tbody>
{% for entry in entries %}
<tr data-policy="{{ entry.policy }}" data-estimator="{{ entry.estimator }}" data-status="{{ entry.status }}">
<td>{{ entry.policy }}</td><td>{{ entry.estimator }}</td>
<td class="status-{{ 'refused' if entry.refused else 'ok' }}">
{{- 'refused' if entry.refused else 'ok' }}{{ ' (flagged)' if entry.flagged else '' -}}
</td>
{{ number(entry.value, "value") }}{{ number(entry.se, "se") }}
{{ number(entry.ci[0] if entry.ci else none, "ci_low") }}{{ number(entry.ci[1] if entry.ci else none, "ci_high") }}
{{ number(entry.level, "level", "{:.0%}") }}
{{ number(entry.n_used, "n_used", "{:.0f}") }}{{ number(entry.n_excluded, "n_excluded", "{:.0f}") }}
{{ number(entry.ess_fraction, "ess_fraction", "{:.1%}") }}
<td class="gate-{{ entry.gate or 'none' }}">{{ entry.gate or (entry.kind if entry.refused else '') or '' }}</td>
</tr>
{% endfor %}
</tbody>
</table>

<h2>Refusals and their reasons</h2>
<div id="refusals">
{% if refusals %}
<table>
<thead><tr><th>policy</th><th>estimator</th><th>kind</th><th>reason</th></tr></thead>
<tbody>
{% for entry in refusals %}
<tr data-policy="{{ entry.policy }}" data-estimator="{{ entry.estimator }}">
<td>{{ entry.policy }}</td><td>{{ entry.estimator }}</td><td>{{ entry.kind or entry.status }}</td>
<td>{% if entry.refusals %}<ul>{% for reason in entry.refusals %}<li>{{ reason }}</li>{% endfor %}</ul>
{% else %}{{ entry.reason or "no reason recorded" }}{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>No estimate was refused.</p>
{% endif %}
{% if warned %}
<h3>Warnings</h3>
<ul id="warnings">
{% for entry in warned %}<li><b>{{ entry.policy }} [{{ entry.estimator }}]</b>: {{ entry.warnings | join("; ") }}</li>{% endfor %}
</ul>
{% endif %}
</div>

{% if audits is not none %}
<h2>Audits</h2>
<div id="audits">{{ audits }}</div>
{% endif %}

<h2>Weight diagnostics</h2>
<table id="weights">
<thead><tr><th>policy</th><th>rows</th><th>ESS</th><th>ESS fraction</th><th>PSIS k</th><th>top 5% share</th>
<th>weight CV</th><th>max weight share</th><th>near-zero weights</th><th>support mass</th></tr></thead>
<tbody>
{% for policy, overlap in weights %}
<tr data-policy="{{ policy }}">
<td>{{ policy }}</td>
{{ number(overlap.get("n"), "n", "{:.0f}") }}{{ number(overlap.get("ess"), "ess", "{:.1f}") }}
{{ number(overlap.get("ess_fraction"), "ess_fraction", "{:.1%}") }}{{ number(overlap.get("psis_k"), "psis_k", "{:.2f}") }}
{{ number(overlap.get("top_share"), "top_share", "{:.1%}") }}{{ number(overlap.get("weight_cv"), "weight_cv", "{:.2f}") }}
{{ number(overlap.get("max_weight_share"), "max_weight_share", "{:.1%}") }}
{{ number(overlap.get("near_zero_fraction"), "near_zero_fraction", "{:.1%}") }}
{{ number(overlap.get("support_mass"), "support_mass", "{:.3g}") }}
</tr>
{% endfor %}
</tbody>
</table>
{% if calibrations %}
<h3>Judge calibration</h3>
<table id="calibration">
<thead><tr><th>policy</th><th>estimator</th><th>oracle labels</th><th>folds</th><th>out-of-fold RMSE</th>
<th>mode</th></tr></thead>
<tbody>
{% for entry in calibrations %}
<tr><td>{{ entry.policy }}</td><td>{{ entry.estimator }}</td>
{{ number(entry.calibration.get("n_labels"), "n_labels", "{:.0f}") }}
{{ number(entry.calibration.get("n_folds"), "n_folds", "{:.0f}") }}
{{ number(entry.calibration.get("rmse_out_of_fold"), "rmse_out_of_fold", "{:.4f}") }}
<td>{{ entry.calibration.get("mode", "") }}</td></tr>
{% endfor %}
</tbody>
</table>
{% endif %}

<h2>Provenance</h2>
<div id="provenance">{{ provenance }}</div>
</div>
"""

PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style }}</style>
</head>
<body>
{{ body }}
</body>
</html>
"""
