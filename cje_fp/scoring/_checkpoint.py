"""An append-only, resumable JSONL file of scored rows.

Rows are appended as they complete: each is handed to the OS at once (so a
killed process loses none), and made durable with fsync in small groups (so a
machine crash loses at most a group). Reading keeps the last line per row id, so a row rescored later
supersedes the earlier one, and drops a torn final line left by a crash.
``compact`` rewrites the file atomically with one line per row, in a given
order, once a run has finished.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "scored.jsonl")
...     with RowJournal.open(path, id_field="prompt_id") as journal:
...         journal.append({"prompt_id": "a", "v": 1})
...         journal.append({"prompt_id": "b", "v": 2})
...         journal.append({"prompt_id": "a", "v": 3})
...     read = read_rows(path, id_field="prompt_id")
...     _ = read.map(lambda journal: compact(path, [journal.rows["b"], journal.rows["a"]]))
...     print(open(path).read(), end="")
{"prompt_id":"b","v":2}
{"prompt_id":"a","v":3}
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import attrs
import msgspec
from returns.result import Failure, Result, Success

#: Rows are made durable at least this often...
logger: Final = logging.getLogger(__name__)

FSYNC_EVERY_ROWS: Final = 32
#: ...and at least this often (seconds), whichever comes first.
FSYNC_EVERY_SECONDS: Final = 1.0

Row = Mapping[str, Any]

_ENCODER: Final = msgspec.json.Encoder()


@attrs.frozen(kw_only=True)
class ReadRows:
    """What a journal holds: the latest version of each row, and what was repaired."""

    rows: dict[str, dict[str, Any]]
    superseded: int
    torn_tail_bytes: int


@attrs.frozen(kw_only=True)
class CorruptJournal:
    """A complete line that is not a row: the file is not a journal this module wrote."""

    path: str
    line: int
    reason: str

    def describe(self) -> str:
        """One line for humans."""
        return f"{self.path}: line {self.line}: {self.reason}"


def read_rows(path: str | os.PathLike[str], *, id_field: str) -> Result[ReadRows, CorruptJournal]:
    """The latest line per ``id_field`` value; a torn last line is cut off the file.

    Only the final line can be torn by a crash; a bad line anywhere else is
    a ``CorruptJournal`` failure rather than a guess.
    """
    file = Path(path)
    if not file.exists():
        return Success(ReadRows(rows={}, superseded=0, torn_tail_bytes=0))
    data = file.read_bytes()
    complete_end = data.rfind(b"\n") + 1
    torn = len(data) - complete_end
    if torn:
        with file.open("r+b") as handle:
            handle.truncate(complete_end)
            handle.flush()
            os.fsync(handle.fileno())
    rows: dict[str, dict[str, Any]] = {}
    superseded = 0
    for number, line in enumerate(data[:complete_end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = msgspec.json.decode(line)
        except msgspec.DecodeError as error:
            return Failure(CorruptJournal(path=str(file), line=number, reason=f"not JSON ({error})"))
        if not isinstance(row, dict) or not isinstance(row.get(id_field), str):
            return Failure(CorruptJournal(path=str(file), line=number, reason=f"no string {id_field!r}"))
        superseded += row[id_field] in rows
        rows[row[id_field]] = row
    if rows or torn:
        logger.info(
            "resuming %s: %d rows already written (%d superseded lines, %d torn bytes cut off)",
            file,
            len(rows),
            superseded,
            torn,
        )
    return Success(ReadRows(rows=rows, superseded=superseded, torn_tail_bytes=torn))


@attrs.define
class RowJournal:
    """Appends rows to a JSONL file, fsyncing in small groups; use as a context manager."""

    _handle: IO[bytes]
    id_field: str
    _pending: int = 0
    _last_sync: float = attrs.field(factory=time.monotonic)

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, id_field: str) -> RowJournal:
        """Open ``path`` for appending (created if missing)."""
        return cls(open(path, "ab"), id_field)

    def append(self, row: Row) -> None:
        """Write and flush one row; fsync the group when it is due."""
        if not isinstance(row.get(self.id_field), str):
            raise ValueError(f"row has no string {self.id_field!r}")
        self._handle.write(_ENCODER.encode(row) + b"\n")
        self._handle.flush()
        self._pending += 1
        now = time.monotonic()
        if self._pending >= FSYNC_EVERY_ROWS or now - self._last_sync >= FSYNC_EVERY_SECONDS:
            self.sync()

    def sync(self) -> None:
        """Flush and fsync what was appended."""
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._pending = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        """Make everything durable and close the file."""
        if not self._handle.closed:
            self.sync()
            self._handle.close()

    def __enter__(self) -> RowJournal:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def compact(path: str | os.PathLike[str], rows: Iterable[Row]) -> None:
    """Replace ``path`` atomically by exactly ``rows`` (write, fsync, rename)."""
    file = Path(path)
    temporary = file.with_name(file.name + ".compacting")
    with temporary.open("wb") as handle:
        for row in rows:
            handle.write(_ENCODER.encode(row) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, file)
    directory = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
