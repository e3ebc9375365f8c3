"""Results as artefacts: the JSON report with provenance, tables and plots."""

from ._json import (
    estimates_json as estimates_json,
)
from ._json import (
    jsonable as jsonable,
)
from ._json import (
    table_from_estimates as table_from_estimates,
)
from ._plots import (
    FIGURES as FIGURES,
)
from ._plots import (
    PlotsUnavailable as PlotsUnavailable,
)
from ._plots import (
    matplotlib_missing as matplotlib_missing,
)
from ._plots import (
    write_figures as write_figures,
)
from ._provenance import (
    file_sha256 as file_sha256,
)
from ._provenance import (
    manifest as manifest,
)
from ._report import (
    Report as Report,
)
from ._report import (
    estimation_report as estimation_report,
)
from ._table import (
    estimates_table as estimates_table,
)
from ._table import (
    refusal_lines as refusal_lines,
)
from ._table import (
    refused as refused,
)
from ._table import (
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
    "jsonable",
    "manifest",
    "matplotlib_missing",
    "refusal_lines",
    "refused",
    "successes",
    "table_from_estimates",
    "write_figures",
]
