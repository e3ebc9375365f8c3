"""Where a reader reports a problem of a row: the sink protocol, and one that ignores them.

>>> sink = ProblemList()
>>> sink.problem(3, "response", "missing_field", "response is required")
>>> [problem.describe() for problem in sink.problems]
['line 3: response: missing_field: response is required']
"""

from __future__ import annotations

from typing import Protocol

import attrs

from cje_fp.data import ProblemKind, RowProblem


class ProblemSink(Protocol):
    """Receives the problems found in a file, one at a time."""

    def problem(self, line: int, field: str, kind: ProblemKind, reason: str) -> None:
        """Record one problem of ``field`` on ``line``."""


@attrs.define
class ProblemList:
    """A sink that keeps every problem, in the order found."""

    problems: list[RowProblem] = attrs.field(factory=list)

    def problem(self, line: int, field: str, kind: ProblemKind, reason: str) -> None:
        """Keep the problem."""
        self.problems.append(RowProblem(line=line, field=field, kind=kind, reason=reason))


class Silent:
    """Stands in for a sink when a line is parsed a second time (its problems already reported)."""

    def problem(self, line: int, field: str, kind: ProblemKind, reason: str) -> None:
        """Ignore the problem."""
