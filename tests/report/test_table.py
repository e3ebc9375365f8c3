"""The table for people: a refusal shows no number, and the refusal lines say what unrefused would have said."""

from __future__ import annotations

from rich.console import Console

from cje_fp.estimation import estimate_all
from cje_fp.report import estimates_table, refusal_lines, refused, successes
from tests.helpers.estimation import poor_overlap_dataset


def test_refused_rows_show_no_number_and_name_what_a_flagged_run_would_have_said() -> None:
    data = poor_overlap_dataset()
    table = estimate_all(data, estimators=("snips", "ips"))
    flagged = estimate_all(data, estimators=("snips", "ips"), allow_flagged=True)
    assert len(refused(table)) == 2 and not successes(table) and len(successes(flagged)) == 2
    console = Console(width=200, record=True)
    console.print(estimates_table(table, truth={"t": 0.5}))
    text = console.export_text()
    assert text.count("refused") == 2 and "insufficient_overlap" in text
    (line,) = refusal_lines(table, flagged)
    assert line.startswith("refused t (snips, ips): insufficient_overlap") and "unrefused it would have said" in line
    assert all(f"{estimator} {estimate.value:.3f}" in line for _, estimator, estimate in successes(flagged))
