"""What travels between the Ray driver and its workers: rows to score out, computed cells back.

A row goes out as its id, texts and the cells an earlier run already holds (so a
worker never calls them again); a cell comes back as one record per computed
(row, policy) pair. A cell's result is written as JSON: ``{"ok": log_prob}``
(floats round-trip exactly) or ``{"error": record}`` (``cje_fp.io.error_to_record``),
and read back into the same ``Result``: a failure stays a failure of its kind.

>>> from returns.result import Success
>>> decode_cell(encode_cell(Success(-1.25)))
<Success: <Success: -1.25>>
>>> decode_cell('{"ok": "high"}').alt(lambda reason: reason[:10])
<Failure: not a cell>
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import msgspec
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.io import InputRow, error_from_record, error_to_record
from cje_fp.policy import LogProbResult

#: The columns of a batch of rows to score.
ROW_COLUMNS: Final = ("row_id", "prompt", "response", "known")
#: The columns of a batch of computed cells; ``problem`` is set only on a worker's single
#: record saying why it cannot score at all.
CELL_COLUMNS: Final = ("row_id", "policy", "cell", "retries", "problem")


def encode_cell(result: LogProbResult) -> str:
    """A cell's result as JSON."""
    match sealed(result):
        case Success(log_prob):
            return msgspec.json.encode({"ok": log_prob}).decode()
        case Failure(error):
            return msgspec.json.encode({"error": error_to_record(error)}).decode()


def decode_cell(text: str) -> Result[LogProbResult, str]:
    """The result ``encode_cell`` wrote, or why ``text`` is not one."""
    try:
        record = msgspec.json.decode(text)
    except msgspec.DecodeError as problem:
        return Failure(f"not a cell: {text[:80]} ({problem})")
    match record:
        case {"ok": float() as log_prob}:
            return Success(Success(log_prob))
        case {"error": dict() as stored}:
            return error_from_record(stored).map(Failure).alt(lambda reason: f"not a cell error: {reason}")
        case _:
            return Failure(f"not a cell: {text[:80]}")


def work_items(
    rows: Sequence[InputRow], known: Mapping[str, Mapping[str, LogProbResult]]
) -> list[dict[str, str]]:
    """The records of the rows to score, each with the cells already known for it."""
    return [
        {
            "row_id": row.row_id,
            "prompt": row.prompt,
            "response": row.response,
            "known": msgspec.json.encode(
                {name: encode_cell(result) for name, result in known.get(row.row_id, {}).items()}
            ).decode(),
        }
        for row in rows
    ]


def known_of(row_id: str, text: str) -> Result[dict[tuple[str, str], LogProbResult], str]:
    """The known cells of one work record, keyed as the sampler's ``known`` is."""
    try:
        cells = msgspec.json.decode(text, type=dict[str, str])
    except msgspec.DecodeError as error:
        return Failure(f"row {row_id!r}: known cells are not JSON ({error})")
    known: dict[tuple[str, str], LogProbResult] = {}
    for name, cell in cells.items():
        match sealed(decode_cell(cell)):
            case Success(result):
                known[(row_id, name)] = result
            case Failure(reason):
                return Failure(f"row {row_id!r}: {name}: {reason}")
    return Success(known)


def problem_batch(problem: str) -> dict[str, list[Any]]:
    """The single record a worker returns when it cannot score (its config or key is missing)."""
    return {"row_id": [""], "policy": [""], "cell": [""], "retries": [0], "problem": [problem]}
