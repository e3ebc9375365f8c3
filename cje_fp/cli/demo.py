"""``cje-fp demo``: the whole pipeline on a simulated scenario with known truth, offline."""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from cje_fp.cli.figures import draw_figures, plots_unavailable
from cje_fp.cli.outcome import ExitCode
from cje_fp.estimation import estimate_all
from cje_fp.estimation.estimators import estimators_for
from cje_fp.report import estimates_table, refusal_lines, refused, successes
from cje_fp.simulation import demo as demo_scenario


def run_demo(*, seed: int, n: int, plot_dir: Path | None, console: Console, errors: Console) -> int:
    """Simulate, score with injected failures, estimate every target, compare with the truth."""
    if (unavailable := plots_unavailable(plot_dir, errors, verbose=False)) is not None:
        return unavailable
    started = time.perf_counter()
    console.print(
        f"[bold]cje-fp demo[/]: {n} logged rows from a simulated base policy, 5 target policies, "
        "a noisy judge, oracle labels on 15% of rows; 5% of scoring calls fail transiently "
        "(retried) and 2% permanently (kept as failures)."
    )
    with console.status("scoring through the Result pipeline..."):
        scenario = demo_scenario(seed=seed, n=n)
    if scenario.scoring is not None:
        console.print("\n[bold]Scoring[/]")
        console.print(scenario.scoring.summary(), highlight=False)
        accounting = scenario.scoring.accounting()
        console.print(
            f"  every cell accounted for: {accounting.succeeded} succeeded + "
            f"{sum(accounting.failed_by_kind.values())} failed = {accounting.total} cells",
            highlight=False,
        )
    with console.status("estimating..."):
        logged = estimators_for(fresh_draws=False)
        table = estimate_all(scenario.dataset, estimators=logged)
        flagged = estimate_all(scenario.dataset, estimators=logged, allow_flagged=True)
    truth = {name: value for name, value in scenario.truth.items() if name != "base"}
    console.print()
    console.print(estimates_table(table, truth=truth, title="Estimates vs truth (95% CIs)"))
    covered = [estimate.ci[0] <= truth[target] <= estimate.ci[1] for target, _, estimate in successes(table)]
    console.print(
        f"The truth lies inside {sum(covered)} of {len(covered)} reported intervals "
        f"(base policy value {scenario.truth['base']:.3f})."
    )
    for line in refusal_lines(table, flagged):
        console.print(line, markup=False, style="yellow")
    console.print(
        "truth of the refused: "
        + ", ".join(f"{target} {truth[target]:.3f}" for target in sorted({t for t, _, _ in refused(table)})),
        markup=False,
    )
    if plot_dir is not None:
        written = draw_figures(
            plot_dir, table=table, dataset=scenario.dataset, truth=truth, console=console, errors=errors
        )
        if written != ExitCode.OK:
            return written
    console.print(f"\ndone in {time.perf_counter() - started:.1f}s", style="dim")
    return ExitCode.OK
