"""Results as artefacts: the JSON report with provenance, tables and plots."""

from ._json import (
    estimates_json as estimates_json,
    estimates_table as estimates_table,
    jsonable as jsonable,
    refusal_lines as refusal_lines,
    refused as refused,
    successes as successes,
)
from ._plots import (
    matplotlib_missing as matplotlib_missing,
    write_figures as write_figures,
)
from ._provenance import (
    file_sha256 as file_sha256,
    manifest as manifest,
)

__all__ = [
    "estimates_json",
    "estimates_table",
    "file_sha256",
    "jsonable",
    "manifest",
    "matplotlib_missing",
    "refusal_lines",
    "refused",
    "successes",
    "write_figures",
]
