"""``cje-fp doctor``: probe every configured endpoint before a long scoring run."""

from __future__ import annotations

from pathlib import Path

from returns.result import Failure, Success
from rich.console import Console

from cje_fp.backends.openai import DoctorReport, doctor
from cje_fp.scoring import ScoreConfig, load_config
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.cli.score import missing_keys
from cje_fp.errors import sealed


def _exit_code(reports: list[DoctorReport]) -> ExitCode:
    unreachable = [r for r in reports if any(c.name == "reachable" and not c.passed for c in r.checks)]
    if unreachable:
        return ExitCode.BACKEND
    return ExitCode.OK if all(r.usable for r in reports) else ExitCode.REFUSED


def run_doctor(path: Path, *, console: Console, errors: Console, verbose: bool) -> int:
    """Exit 0 when every endpoint supports teacher forcing, 1 when one cannot, 3 when one is
    unreachable or refuses our key."""
    match sealed(load_config(path)):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(config):
            try:
                return _diagnose(config, console=console, errors=errors, verbose=verbose)
            finally:
                config.close()


def _diagnose(config: ScoreConfig, *, console: Console, errors: Console, verbose: bool) -> int:
    if (missing := missing_keys(config)) is not None:
        return report(missing, errors, verbose=verbose)
    reports = []
    for policy in config.policies:
        with console.status(f"probing {policy.name}..."):
            found = doctor(policy)
        console.print(f"[bold]{policy.name}[/]: ", end="")
        console.print(found.summary(), markup=False)
        if found.noise_floor is not None:
            console.print(f"  noise floor (identical requests): {found.noise_floor:.3g} nats", markup=False)
        reports.append(found)
    code = _exit_code(reports)
    if code != ExitCode.OK:
        bad = ", ".join(p.name for p, r in zip(config.policies, reports, strict=True) if not r.usable)
        message = (
            f"endpoint unreachable or refusing us for: {bad}"
            if code == ExitCode.BACKEND
            else f"these endpoints cannot teacher-force exactly: {bad}; cje-fp score would fail on them"
        )
        return report(Problem(code=code, message=message), errors, verbose=verbose)
    console.print("every endpoint supports teacher forcing")
    return ExitCode.OK
