"""The rows ``cje-fp score`` reads: prompt, response, an id, and every other field kept.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "logs.jsonl")
...     with open(path, "w") as handle:
...         _ = handle.write('{"prompt": "q", "response": "a", "metadata": {"prompt_id": 7}}\\n\\n')
...         _ = handle.write('{"prompt": "r"}\\n')
...     read_input(path)
<Failure: InputProblems(path='...', problems=('line 3: response: missing or not a string',))>
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import attrs
import msgspec
from returns.result import Failure, Result, Success

from cje_fp.io._jsonl import hashed_prompt_id


@attrs.frozen(kw_only=True)
class InputRow:
    """One row to score."""

    line: int
    row_id: str
    prompt: str
    response: str
    fields: dict[str, Any]


@attrs.frozen(kw_only=True)
class InputProblems:
    """Rows that cannot be scored, one line each."""

    path: str
    problems: tuple[str, ...]

    def __repr__(self) -> str:
        return f"InputProblems(path='...', problems={self.problems!r})"


def _row_id(fields: dict[str, Any], prompt: str) -> str | None:
    metadata = fields.get("metadata")
    value = fields.get("prompt_id")
    if value is None and isinstance(metadata, dict):
        value = metadata.get("prompt_id")
    if value is None:
        return hashed_prompt_id(prompt)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        return None
    return str(value)


def read_input(path: str | os.PathLike[str]) -> Result[tuple[InputRow, ...], InputProblems]:
    """Every row, or every problem (bad JSON, missing text, bad or repeated ids) by line."""
    rows: list[InputRow] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    with Path(path).open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                fields = msgspec.json.decode(line)
            except msgspec.DecodeError as error:
                problems.append(f"line {number}: <line>: not valid JSON ({error})")
                continue
            if not isinstance(fields, dict):
                problems.append(f"line {number}: <line>: not a JSON object")
                continue
            texts = {name: fields.get(name) for name in ("prompt", "response")}
            bad = [name for name, text in texts.items() if not isinstance(text, str)]
            if bad:
                problems.extend(f"line {number}: {name}: missing or not a string" for name in bad)
                continue
            prompt, response = str(texts["prompt"]), str(texts["response"])
            row_id = _row_id(fields, prompt)
            if row_id is None:
                problems.append(f"line {number}: prompt_id: must be a non-empty string or an integer")
                continue
            if row_id in first_line:
                problems.append(f"line {number}: prompt_id: {row_id!r} already on line {first_line[row_id]}")
                continue
            first_line[row_id] = number
            rows.append(InputRow(line=number, row_id=row_id, prompt=prompt, response=response, fields=fields))
    if problems:
        return Failure(InputProblems(path=os.fspath(path), problems=tuple(problems)))
    if not rows:
        return Failure(InputProblems(path=os.fspath(path), problems=("line 0: <file>: no rows",)))
    return Success(tuple(rows))
