"""Exit codes and the one place a failure becomes a message.

>>> Problem(code=ExitCode.USAGE, message="no such file: x.jsonl").code.value
2
"""

from __future__ import annotations

from enum import IntEnum

import attrs
from rich.console import Console


class ExitCode(IntEnum):
    """What ``cje-fp`` returns to the shell: one table for every command (README, "Exit codes")."""

    OK = 0
    """The command did its job; refusals and failed cells are results, listed plainly."""
    REFUSED = 1
    """Invalid data (with line and field), or a refusal under ``--fail-on-refusal``."""
    USAGE = 2
    """A usage or configuration error, or an output file that is not ours, in use or not writable."""
    BACKEND = 3
    """A fatal backend: some policy's endpoint unreachable, refusing us or without the model, or
    failing cell after cell (a batch a one-prompt-per-request server rejects is not fatal)."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C); the message says how to resume."""


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
