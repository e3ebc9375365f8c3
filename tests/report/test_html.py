"""The HTML report: refusals carry no number, audits show when present, nothing is fetched."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cje_fp.report import json_html, report_fragment, report_page
from tests.helpers.cli import run_cli as cje_fp
from tests.helpers.scored_files import write_scored_file


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("report")
    scored = write_scored_file(folder / "scored.jsonl")
    out = folder / "report.json"
    result = cje_fp("estimate", scored, "--estimator", "snips", "--estimator", "ips", "--json", out)
    assert result.returncode == 1, result.stderr  # "far" is refused
    loaded: dict[str, object] = json.loads(out.read_text())
    return loaded


def test_the_page_is_self_contained(document: dict[str, object]) -> None:
    page = report_page(document)
    assert "<script" not in page and "<link" not in page and "<img" not in page
    urls = set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", page))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace, a name that is never fetched


def test_refused_entries_have_no_number_and_their_reasons(document: dict[str, object]) -> None:
    page = report_page(document)
    rows = re.findall(r'<tr data-policy="far" data-estimator="(\w+)" data-status="refused">(.*?)</tr>', page, re.S)
    assert [name for name, _ in rows] == ["snips", "ips"]
    for _, cells in rows:
        assert 'data-field="value" data-value' not in cells and 'data-field="ci_low" data-value' not in cells
    refusals = page.split('id="refusals"')[1].split("</div>")[0]
    assert "ESS fraction" in refusals and "insufficient_overlap" in refusals


def test_audits_show_only_when_the_report_has_them(document: dict[str, object]) -> None:
    assert 'id="audits"' not in report_page(document)
    audited = {**document, "audits": {"fresh_draws": {"close": {"verdict": "pass", "n": 40}}}}
    page = report_page(audited)
    section = page.split('id="audits"')[1]
    assert "fresh_draws" in section and "verdict" in section and "pass" in section


def test_text_from_the_report_is_escaped() -> None:
    hostile = {"estimates": {"<script>alert(1)</script>": {"snips": {"status": "refused", "reason": "<b>x</b>"}}}}
    page = report_page(hostile)
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>x</b>" not in str(json_html({"k": "<b>x</b>"}))


def test_the_notebook_fragment_is_not_a_page(document: dict[str, object]) -> None:
    fragment = report_fragment(document)
    assert "<html" not in fragment and 'id="estimates"' in fragment and "<svg" in fragment


def test_cli_report_writes_the_page_and_refuses_what_is_not_a_report(tmp_path: Path, document: dict[str, object]) -> None:
    source = tmp_path / "report.json"
    source.write_text(json.dumps(document))
    result = cje_fp("report", source, "--html", tmp_path / "out" / "report.html")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "report.html").read_text().startswith("<!DOCTYPE html>")
    (tmp_path / "other.json").write_text("[1, 2]")
    not_a_report = cje_fp("report", tmp_path / "other.json", "--html", tmp_path / "x.html")
    assert not_a_report.returncode == 1 and "not a cje-fp report" in not_a_report.stderr
    missing = cje_fp("report", tmp_path / "absent.json", "--html", tmp_path / "x.html")
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_plot_estimates_draws_each_estimate_and_names_each_refusal(document: dict[str, object]) -> None:
    import matplotlib

    matplotlib.use("Agg")

    from cje_fp.report import plot_estimates

    figure = plot_estimates(document, truth={"close": 0.5})
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_yticklabels()]
    assert labels == ["close [snips]", "close [ips]", "far [snips]", "far [ips]"]
    estimates = document["estimates"]
    assert isinstance(estimates, dict)
    dots = [line for line in axes.get_lines() if line.get_marker() == "o"]
    assert [np.asarray(dot.get_xdata()).tolist() for dot in dots] == [
        [estimates["close"][name]["value"]] for name in ("snips", "ips")
    ]
    assert [text.get_text() for text in axes.texts] == ["refused: insufficient_overlap"] * 2
    assert sum(line.get_marker() == "x" for line in axes.get_lines()) == 2  # the truth, once per close row


def test_a_report_shows_itself_in_a_notebook(document: dict[str, object]) -> None:
    from cje_fp.report import Report
    from tests.conftest import value_of

    report = value_of(Report.from_dict(document))
    fragment = report._repr_html_()
    assert 'id="estimates"' in fragment and "refused" in fragment and "<html" not in fragment
    assert report.to_html().startswith("<!DOCTYPE html>")
    frame = report.to_frame()
    assert list(frame["status"]) == ["ok", "ok", "refused", "refused"]
