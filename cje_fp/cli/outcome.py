"""Exit codes and the one place a failure becomes a message.

>>> Problem(code=ExitCode.USAGE, message="no such file: x.jsonl").code.value
2
"""

from __future__ import annotations

from enum import IntEnum

import attrs
from rich.console import Console


class ExitCode(IntEnum):
    """What ``cje-fp`` returns to the shell."""

    OK = 0
    REFUSED = 1
    """Invalid data (with line and field), or a refusal under ``--fail-on-refusal``."""
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
