"""``cje-fp doctor``: print what ``diagnose_config`` found about every configured policy."""

from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Success
from rich.console import Console

from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.cli.score import problem_of
from cje_fp.errors import sealed
from cje_fp.scoring import DoctorSummary, diagnose_config


def _verdict(summary: DoctorSummary) -> Problem | None:
    if summary.unreachable:
        return Problem(
            code=ExitCode.BACKEND, message=f"endpoint unreachable or refusing us for: {', '.join(summary.unreachable)}"
        )
    if summary.unusable:
        return Problem(
            code=ExitCode.REFUSED,
            message=f"these endpoints cannot teacher-force exactly: {', '.join(summary.unusable)}; "
            "cje-fp score would fail on them",
        )
    return None


def run_doctor(path: Path, *, console: Console, errors: Console, verbose: bool) -> int:
    """Exit 0 when every policy can be scored exactly, 1 when one cannot, 3 when one is
    unreachable or refuses our key (2 for a bad config)."""
    with console.status("probing...") as status:
        found = diagnose_config(path, on_policy=lambda name: status.update(f"probing {name}..."))
    match sealed(found):
        case Failure(error):
            return report(problem_of(error), errors, verbose=verbose)
        case Success(summary):
            for diagnosis in summary.diagnoses:
                console.print(f"[bold]{diagnosis.policy}[/]: ", end="")
                console.print(diagnosis.summary, markup=False)
                if diagnosis.noise_floor is not None:
                    console.print(f"  noise floor (identical requests): {diagnosis.noise_floor:.3g} nats", markup=False)
            verdict = _verdict(summary)
            if verdict is not None:
                return report(verdict, errors, verbose=verbose)
            console.print("every endpoint supports teacher forcing")
            return ExitCode.OK
