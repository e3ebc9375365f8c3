"""Progress of a scoring run: what ``score_file`` reports as it goes, silently or as rich bars.

``score_file`` calls ``started`` once with the plan, ``advanced`` once per cell
computed (from any thread) and ``finished`` at the end. ``NoProgress`` ignores
all three; ``RichProgress`` prints the plan and one bar per policy (cells,
cells per second, time left) on a ``rich`` console.

>>> from pathlib import Path
>>> from cje_fp.scoring._resume import ResumePlan
>>> progress: ScoringProgress = NoProgress()
>>> progress.started(ResumePlan(out=Path("o"), policies=("base",), rows=(), known={}, resumed=False, torn_tail_bytes=0,
...                              complete_bytes=0))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from cje_fp.scoring._resume import ResumePlan

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID


class ScoringProgress(Protocol):
    """Receives the progress of a scoring run."""

    def started(self, plan: ResumePlan) -> None:
        """The run starts from ``plan``."""

    def advanced(self, policy: str) -> None:
        """One cell of ``policy`` was computed (called from any thread)."""

    def finished(self) -> None:
        """The run is over (also after an early stop)."""


class NoProgress:
    """Reports nothing."""

    def started(self, plan: ResumePlan) -> None:
        """Ignore the plan."""

    def advanced(self, policy: str) -> None:
        """Ignore the cell."""

    def finished(self) -> None:
        """Nothing to close."""


class RichProgress:
    """Prints the plan (on ``plan_console``, default ``console``), then one progress bar per policy on
    ``console`` (rich is imported here only)."""

    def __init__(self, console: Console, *, plan_console: Console | None = None) -> None:
        self._console = console
        self._plan_console = plan_console if plan_console is not None else console
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def started(self, plan: ResumePlan) -> None:
        """Print the plan and start the bars."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Rate(ProgressColumn):
            """Cells per second of a task."""

            def render(self, task: Task) -> Text:
                return Text("" if task.speed is None else f"{task.speed:6.1f}/s")

        self._plan_console.print(plan.describe())
        self._progress = Progress(
            TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), Rate(), TimeRemainingColumn(),
            console=self._console,
        )
        self._progress.start()
        self._tasks = {policy: self._progress.add_task(policy, total=plan.to_compute(policy)) for policy in plan.policies}

    def advanced(self, policy: str) -> None:
        """Advance ``policy``'s bar by one cell."""
        if self._progress is not None:
            self._progress.advance(self._tasks[policy])

    def finished(self) -> None:
        """Stop the bars (they stay printed)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
