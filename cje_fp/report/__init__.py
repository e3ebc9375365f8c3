"""Results as artefacts: the JSON report with provenance, tables and plots."""

from ._forest import (
    plot_estimates as plot_estimates,
    report_data as report_data,
)
from ._html import (
    json_html as json_html,
    report_fragment as report_fragment,
    report_page as report_page,
)
from ._json import (
    estimates_json as estimates_json,
    jsonable as jsonable,
    table_from_estimates as table_from_estimates,
)
from ._plots import (
    FIGURES as FIGURES,
    PlotsUnavailable as PlotsUnavailable,
    matplotlib_missing as matplotlib_missing,
    write_figures as write_figures,
)
from ._provenance import (
    file_sha256 as file_sha256,
    manifest as manifest,
)
from ._report import (
    Report as Report,
    estimation_report as estimation_report,
)
from ._table import (
    estimates_table as estimates_table,
    refusal_lines as refusal_lines,
    refused as refused,
    successes as successes,
)

__all__ = [
    "FIGURES",
    "PlotsUnavailable",
    "Report",
    "estimates_json",
    "estimates_table",
    "estimation_report",
    "file_sha256",
    "json_html",
    "jsonable",
    "manifest",
    "matplotlib_missing",
    "plot_estimates",
    "refusal_lines",
    "refused",
    "report_data",
    "report_fragment",
    "report_page",
    "successes",
    "table_from_estimates",
    "write_figures",
]
