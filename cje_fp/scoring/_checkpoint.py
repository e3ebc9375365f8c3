"""An append-only, resumable JSONL file of scored rows.

Rows are appended as they complete: each is handed to the OS at once (so a
killed process loses none), and made durable with fsync in small groups (so a
machine crash loses at most a group). Reading keeps the last line per row id, so a row rescored later
supersedes the earlier one, and leaves out a torn final line left by a crash (cut off
when the journal is next opened for appending). Reading never writes: a file is
only written once every complete line of it was read as a row.
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

import contextlib
import logging
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import attrs
import msgspec
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed

logger: Final = logging.getLogger(__name__)

#: Rows are made durable at least this often...
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
    complete_bytes: int
    """Where the last complete line ends (a torn line starts there)."""


@attrs.frozen(kw_only=True)
class CorruptJournal:
    """A complete line that is not a row: the file is not a journal this module wrote."""

    path: str
    line: int
    reason: str

    def describe(self) -> str:
        """One line for humans."""
        where = f"line {self.line}: " if self.line else ""
        return f"{self.path}: {where}{self.reason}"


def _parse(data: bytes, file: Path, id_field: str, marker: str | None) -> Result[ReadRows, CorruptJournal]:
    rows: dict[str, dict[str, Any]] = {}
    superseded = 0
    complete_end = data.rfind(b"\n") + 1
    for number, line in enumerate(data[:complete_end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = msgspec.json.decode(line)
        except msgspec.DecodeError as error:
            return Failure(CorruptJournal(path=str(file), line=number, reason=f"not JSON ({error})"))
        if not isinstance(row, dict) or not isinstance(row.get(id_field), str):
            return Failure(CorruptJournal(path=str(file), line=number, reason=f"no string {id_field!r}"))
        if marker is not None and not isinstance(row.get(marker), dict):
            return Failure(CorruptJournal(path=str(file), line=number, reason=f"no {marker!r} object"))
        superseded += row[id_field] in rows
        rows[row[id_field]] = row
    torn = len(data) - complete_end
    if torn and not rows:
        reason = f"{torn} bytes without a complete line"
        return Failure(CorruptJournal(path=str(file), line=1, reason=reason))
    return Success(ReadRows(rows=rows, superseded=superseded, torn_tail_bytes=torn, complete_bytes=complete_end))


def read_rows(
    path: str | os.PathLike[str], *, id_field: str, marker: str | None = None
) -> Result[ReadRows, CorruptJournal]:
    """The latest line per ``id_field`` value, and where a torn last line starts; the file is
    only read (``RowJournal.open`` cuts the torn line once the caller knows the file is ours).

    Only the final line can be torn by a crash; a bad line anywhere else, a line
    without ``marker`` (an object every line of the journal holds), or a torn
    line with no complete line before it is a ``CorruptJournal`` failure rather
    than a guess.
    """
    file = Path(path)
    if not file.exists():
        return Success(ReadRows(rows={}, superseded=0, torn_tail_bytes=0, complete_bytes=0))
    if not file.is_file():
        return Failure(CorruptJournal(path=str(file), line=0, reason="not a regular file"))
    try:
        data = file.read_bytes()
    except OSError as error:
        return Failure(CorruptJournal(path=str(file), line=0, reason=f"cannot be read ({error.strerror or error})"))
    read = _parse(data, file, id_field, marker)
    match sealed(read):
        case Success(journal) if journal.rows:
            logger.info(
                "resuming %s: %d rows already written (%d superseded lines, %d torn bytes to cut off)",
                file,
                len(journal.rows),
                journal.superseded,
                journal.torn_tail_bytes,
            )
        case _:
            pass
    return read


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` (``os.write`` may write part of it)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


@attrs.define
class RowJournal:
    """Appends rows to a JSONL file, fsyncing in small groups; use as a context manager.

    A row that cannot be written whole (disk full, interrupted) is cut off again,
    so the file holds only complete lines; the ``OSError`` is raised to the caller.
    """

    _fd: int
    id_field: str
    _size: int
    _pending: int = 0
    _last_sync: float = attrs.field(factory=time.monotonic)
    _closed: bool = False

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, id_field: str, keep_bytes: int | None = None) -> RowJournal:
        """Open ``path`` for appending (created if missing), first cutting it to ``keep_bytes``
        (the end of its last complete line, from ``read_rows``) when it is longer."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        size = os.fstat(fd).st_size
        if keep_bytes is not None and size > keep_bytes:
            os.ftruncate(fd, keep_bytes)
            size = keep_bytes
        return cls(fd, id_field, size)

    def append(self, row: Row) -> None:
        """Write one row; fsync the group when it is due."""
        if not isinstance(row.get(self.id_field), str):
            raise ValueError(f"row has no string {self.id_field!r}")
        line = _ENCODER.encode(row) + b"\n"
        try:
            _write_all(self._fd, line)
        except BaseException:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise
        self._size += len(line)
        self._pending += 1
        now = time.monotonic()
        if self._pending >= FSYNC_EVERY_ROWS or now - self._last_sync >= FSYNC_EVERY_SECONDS:
            self.sync()

    def sync(self) -> None:
        """Fsync what was appended."""
        os.fsync(self._fd)
        self._pending = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        """Make everything durable and close the file (closed even when the fsync fails)."""
        if self._closed:
            return
        self._closed = True
        try:
            os.fsync(self._fd)
        finally:
            os.close(self._fd)

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
    """Replace ``path`` atomically by exactly ``rows`` (write, fsync, rename); nothing is
    written when it holds exactly those lines already. On any failure (disk full,
    interrupted) the temporary file is removed and ``path`` is left as it was."""
    file = Path(path)
    content = b"".join(_ENCODER.encode(row) + b"\n" for row in rows)
    if file.exists() and file.stat().st_size == len(content) and file.read_bytes() == content:
        return
    temporary = file.with_name(file.name + ".compacting")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            _write_all(fd, content)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, file)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    directory = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
