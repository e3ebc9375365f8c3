"""Command outcomes: the exit codes of every ``cje-fp`` command, and a failure as one paragraph.

Low in the layers so that library modules returning an outcome (e.g. the plots)
need not import the CLI; ``report`` prints on any ``rich`` console it is given.

>>> Problem(code=ExitCode.USAGE, message="no such file: x.jsonl").code.value
2
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from rich.console import Console


class ExitCode(IntEnum):
    """What ``cje-fp`` returns to the shell."""

    OK = 0
    REFUSED = 1
    """Bad data, or an estimate the data cannot support."""
    USAGE = 2
    BACKEND = 3
    """The scoring endpoint is unreachable or refuses our credentials."""


@attrs.frozen(kw_only=True)
class Problem:
    """An expected failure of a command: one paragraph, plus details for ``--verbose``."""

    code: ExitCode
    message: str
    details: str = ""


def report(problem: Problem, console: Console, *, verbose: bool) -> int:
    """Print ``problem`` on the error console and return its exit code."""
    console.print("[bold red]error:[/] ", end="")
    console.print(problem.message, markup=False, highlight=False, soft_wrap=True)
    if problem.details:
        if verbose:
            console.print(problem.details, markup=False, highlight=False, soft_wrap=True)
        else:
            console.print("(run with --verbose for details)", style="dim")
    return int(problem.code)
