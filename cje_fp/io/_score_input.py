"""The rows ``cje-fp score`` reads: prompt, response and id by the loader's rules, every field kept.

The same line, text and prompt-id checks as ``load_dataset`` (shared through
``cje_fp.io._cells`` and ``cje_fp.io._prompt_ids``), but the text is decoded and
every other field is kept as a Python value, to be written back beside the log
probs. Log probs, scores and labels are not checked here: scoring does not read them.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "logs.jsonl")
...     with open(path, "w") as handle:
...         _ = handle.write('{"prompt": "q", "response": "a", "metadata": {"prompt_id": 7}}\\n\\n')
...         _ = handle.write('{"prompt": "r"}\\n')
...     print(read_input(path).alt(lambda errors: errors.problems[0].describe()))
<Failure: line 3: response: missing_field: response is required>
"""

from __future__ import annotations

import os
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from cje_fp.data import FILE_LINE, DataErrors
from cje_fp.io._cells import object_of, parse_object, python_value, text_field
from cje_fp.io._json_text import without_bom
from cje_fp.io._problems import ProblemList
from cje_fp.io._prompt_ids import (
    ID_FIELD,
    BadPromptId,
    prompt_id_of,
    repeated_id_reason,
)


@attrs.frozen(kw_only=True)
class InputRow:
    """One row to score: its line, id, texts and every field as read."""

    line: int
    row_id: str
    prompt: str
    response: str
    fields: dict[str, Any]


@attrs.define
class _Rows:
    """The rows read so far, the first line of each id, and every problem."""

    sink: ProblemList = attrs.field(factory=ProblemList)
    rows: list[InputRow] = attrs.field(factory=list)
    first_line: dict[str, int] = attrs.field(factory=dict)

    def add(self, number: int, line: bytes) -> None:
        fields = parse_object(self.sink, number, line)
        if fields is None:
            return
        before = len(self.sink.problems)
        prompt = text_field(self.sink, number, fields, "prompt")
        response = text_field(self.sink, number, fields, "response")
        metadata = object_of(fields["metadata"]) if "metadata" in fields else None
        row_id = prompt_id_of(fields, metadata or {}, prompt)
        if isinstance(row_id, BadPromptId):
            self.sink.problem(number, row_id.field, "wrong_type", row_id.reason)
        elif row_id in self.first_line:
            self.sink.problem(number, ID_FIELD, "duplicate_prompt_id", repeated_id_reason(row_id, self.first_line[row_id]))
        if len(self.sink.problems) > before or isinstance(row_id, BadPromptId):
            return
        self.first_line[row_id] = number
        decoded = {name: python_value(value) for name, value in fields.items()}
        self.rows.append(InputRow(line=number, row_id=row_id, prompt=prompt, response=response, fields=decoded))


def read_input(path: str | os.PathLike[str]) -> Result[tuple[InputRow, ...], DataErrors]:
    """Every row, or every problem (bad JSON, missing text, bad or repeated ids) by line."""
    rows = _Rows()
    number = 0
    try:
        with open(path, "rb") as handle:
            for number, line in enumerate(map(without_bom, handle), start=1):
                if line and not line.isspace():
                    rows.add(number, line)
    except OSError as error:
        rows.sink.problem(FILE_LINE, "<file>", "unreadable_file", f"{type(error).__name__}: {error.strerror or error}")
    if not rows.rows and not rows.sink.problems:
        rows.sink.problem(FILE_LINE, "<file>", "empty_file", "no rows")
    if rows.sink.problems:
        return Failure(DataErrors(path=os.fspath(path), n_lines=number, problems=tuple(sorted(rows.sink.problems))))
    return Success(tuple(rows.rows))
