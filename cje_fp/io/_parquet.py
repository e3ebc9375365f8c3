"""Parquet in and out: the same rows as CJE JSONL, in Arrow's columnar file format.

Reading turns each Parquet row into the JSON line it stands for and hands it to the
JSONL reader, so a Parquet file gets exactly the same checks and problem reports
(a problem's ``line`` is the 1-based row number). A NaN stays NaN (reported as an
invalid log prob), a null stays missing. Needs the ``parquet`` extra (pyarrow);
without it the file is reported unreadable, with the ``pip install`` that fixes it.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_parquet(folder / "rows.parquet", [{"prompt": "q", "target_policy_logprobs": {"t": -1.0}}])
>>> list(parquet_lines(folder / "rows.parquet"))
[b'{"prompt": "q", "target_policy_logprobs": {"t": -1.0}}']
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from cje_fp._extras import MissingExtra, require_extra

PARQUET_SUFFIX: Final = ".parquet"
_BATCH_ROWS: Final = 8192
#: Columns whose structure the CJE format fixes; kept as Arrow structs whatever else happens.
_CORE_COLUMNS: Final = frozenset({"target_policy_logprobs", "logprob_status"})


class UnreadableParquet(OSError):
    """A Parquet file that cannot be read (corrupt, not Parquet, or pyarrow is missing)."""


def is_parquet(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a Parquet file (by its suffix)."""
    return Path(path).suffix.lower() == PARQUET_SUFFIX


def _text(value: object) -> str:
    """How a value JSON has no type for is written (timestamps, decimals, bytes as text)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def parquet_lines(path: str | os.PathLike[str]) -> Iterator[bytes]:
    """Each row of the Parquet file as one JSON line (bytes), in file order."""
    try:
        require_extra("pyarrow", extra="parquet", purpose=f"reading {PARQUET_SUFFIX} files")
    except MissingExtra as error:
        raise UnreadableParquet(str(error)) from error
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        file = pq.ParquetFile(Path(path))
        for batch in file.iter_batches(batch_size=_BATCH_ROWS):
            for row in batch.to_pylist(maps_as_pydicts="strict"):
                yield json.dumps(row, allow_nan=True, default=_text, ensure_ascii=False).encode("utf-8")
    except pa.ArrowException as error:
        raise UnreadableParquet(f"not a readable Parquet file: {error}") from error


def write_parquet(path: str | os.PathLike[str], rows: Sequence[Mapping[str, object]]) -> None:
    """Write ``rows`` (CJE JSONL objects) as Parquet, atomically (a temporary file, then a rename).

    Nested objects become Arrow structs; a column whose rows disagree on its
    structure (free-form metadata, say) is written as JSON text instead.
    """
    require_extra("pyarrow", extra="parquet", purpose=f"writing {PARQUET_SUFFIX} files")
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [dict(row) for row in rows]
    try:
        table = pa.Table.from_pylist(records)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        nested = {
            name
            for row in records
            for name, value in row.items()
            if name not in _CORE_COLUMNS and isinstance(value, Mapping | list)
        }
        for row in records:
            for name in nested & row.keys():
                row[name] = json.dumps(row[name], allow_nan=True)
        table = pa.Table.from_pylist(records)
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    pq.write_table(table, partial)
    os.replace(partial, target)
