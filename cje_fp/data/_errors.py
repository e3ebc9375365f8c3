"""Problems found while reading logged data: each one names a line, a field and a reason.

A ``RowProblem`` is one thing wrong with one row (or with the file, on line 0).
``DataErrors`` collects every problem of a file, so a caller sees all of them at
once instead of the first.

>>> problem = RowProblem(line=3, field="judge_score", kind="out_of_range", reason="1.5 is not in [0, 1]")
>>> problem.describe()
'line 3: judge_score: out_of_range: 1.5 is not in [0, 1]'
>>> DataErrors(path="logs.jsonl", n_lines=10, problems=(problem,)).by_kind()
{'out_of_range': 1}
"""

from __future__ import annotations

from collections import Counter
from typing import ClassVar, Final, Literal, TypeAlias

import attrs

ProblemKind: TypeAlias = Literal[
    "unreadable_file",
    "empty_file",
    "no_target_policies",
    "bad_json",
    "not_an_object",
    "missing_field",
    "wrong_type",
    "invalid_log_prob",
    "out_of_range",
    "duplicate_prompt_id",
    "duplicate_draw",
    "unknown_policy",
    "missing_oracle_label",
    "duplicate_key",
    "invalid_text",
]
"""Every kind of data problem the loader reports."""

#: Problems about the whole file are reported on this line number.
FILE_LINE: Final = 0


@attrs.frozen(kw_only=True, order=True)
class RowProblem:
    """One problem: the 1-based line (0 for the whole file), the field, the kind and why."""

    line: int
    field: str
    kind: ProblemKind
    reason: str

    def describe(self) -> str:
        """``line N: field: kind: reason``."""
        return f"line {self.line}: {self.field}: {self.kind}: {self.reason}"


@attrs.frozen(kw_only=True)
class DataErrors:
    """Every problem found in a file; the failure of a strict load."""

    kind: ClassVar[str] = "data_errors"
    path: str
    n_lines: int
    problems: tuple[RowProblem, ...]

    @property
    def n_bad_rows(self) -> int:
        """How many distinct lines have at least one problem (line 0 excluded)."""
        return len({problem.line for problem in self.problems if problem.line != FILE_LINE})

    def by_kind(self) -> dict[str, int]:
        """How many problems of each kind."""
        return dict(Counter(problem.kind for problem in self.problems))

    def describe(self, limit: int = 20) -> str:
        """A summary line plus up to ``limit`` problems, one per line."""
        head = (
            f"{self.path}: {len(self.problems)} problem(s) on {self.n_bad_rows} row(s) "
            f"of {self.n_lines} line(s)"
        )
        lines = [head, *(f"  {problem.describe()}" for problem in self.problems[:limit])]
        if len(self.problems) > limit:
            lines.append(f"  ... and {len(self.problems) - limit} more")
        return "\n".join(lines)
