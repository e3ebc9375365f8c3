"""``cje-fp score``: log probs for every row under every configured policy, resumable.

Rows are appended to SCORED as soon as all their cells are done (see
``cje_fp.scoring._checkpoint``): the incumbent's JSONL format plus, per policy, a
status (``"ok"`` or the failure kind), the error record of failed cells, and
the model and chat template that produced the cell. Re-running the same
command skips every cell already done; ``--retry-failed`` recomputes only the
failed ones. A cell whose policy's model or template changed is recomputed.
When the run ends, SCORED is rewritten atomically with one line per row, in
input order.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import attrs
from returns.result import Failure, Result, Success
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.scoring import ScoreConfig, load_config
from cje_fp.cli.outcome import ExitCode, Problem, report
from cje_fp.io import InputRow, read_input
from cje_fp.errors import ConnectionFailed, LogProbError, ModelNotFound, Unauthorized, root_cause
from cje_fp.scoring import RowJournal, compact, read_rows
from cje_fp.io import error_from_record, error_to_record
from cje_fp.policy import AsyncPolicy, LogProbResult, Policy
from cje_fp.errors import sealed
from cje_fp.policy import retrying
from cje_fp.scoring import CellOutcome, MultiTargetSampler, Sample

ID_FIELD: Final = "prompt_id"
STATUS_FIELD: Final = "logprob_status"
ERRORS_FIELD: Final = "logprob_errors"
SOURCE_FIELD: Final = "logprob_source"
_FATAL: Final = (Unauthorized, ModelNotFound, ConnectionFailed)


@attrs.frozen(kw_only=True)
class ScoreOptions:
    """What ``cje-fp score`` was asked to do."""

    config: Path
    data: Path
    out: Path
    retry_failed: bool


def _source(policy: OpenAICompatiblePolicy) -> dict[str, str | None]:
    return {"model": policy.model, "template": policy.template_id, "base_url": policy.base_url}


def _known_cells(
    row: Mapping[str, Any], config: ScoreConfig, *, retry_failed: bool
) -> Result[dict[str, LogProbResult], str]:
    """The cells of a journaled row that stand: done with the same model and template.

    Failures count as done (unless ``retry_failed``), except those that said the
    backend was unreachable or refused us: they are about the run, not the row.
    """
    statuses = row.get(STATUS_FIELD, {})
    sources = row.get(SOURCE_FIELD, {})
    errors = row.get(ERRORS_FIELD, {})
    targets = row.get("target_policy_logprobs", {})
    known: dict[str, LogProbResult] = {}
    for policy in config.policies:
        name = policy.name
        if sources.get(name) != _source(policy) or name not in statuses:
            continue
        if statuses[name] == "ok":
            value = row.get("base_policy_logprob") if name == config.base_policy else targets.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                return Failure(f"row {row.get(ID_FIELD)!r}: {name} is ok but has no log prob")
            known[name] = Success(float(value))
        elif not retry_failed:
            match sealed(error_from_record(errors.get(name, {}))):
                case Success(error) if isinstance(root_cause(error), _FATAL):
                    pass  # the backend was down or refused us: not a property of the row
                case Success(error):
                    known[name] = Failure(error)
                case Failure(reason):
                    return Failure(f"row {row.get(ID_FIELD)!r}: {name}: {reason}")
    return Success(known)


def _output_row(row: InputRow, cells: Mapping[str, LogProbResult], config: ScoreConfig) -> dict[str, Any]:
    def value(result: LogProbResult) -> float | None:
        match sealed(result):
            case Success(log_prob):
                return log_prob
            case Failure(_):
                return None

    def status(result: LogProbResult) -> str:
        match sealed(result):
            case Success(_):
                return "ok"
            case Failure(error):
                return error.kind

    failed = {}
    for name, result in cells.items():
        match sealed(result):
            case Failure(error):
                failed[name] = error_to_record(error)
            case Success(_):
                pass
    output = dict(row.fields)
    output[ID_FIELD] = row.row_id
    output["base_policy_logprob"] = value(cells[config.base_policy])
    output["target_policy_logprobs"] = {
        policy.name: value(cells[policy.name]) for policy in config.policies if policy.name != config.base_policy
    }
    output[STATUS_FIELD] = {name: status(result) for name, result in cells.items()}
    output[ERRORS_FIELD] = failed
    output[SOURCE_FIELD] = {policy.name: _source(policy) for policy in config.policies}
    return output


class _Collector:
    """Gathers cells as they complete; appends a row to the journal once all its cells are in."""

    def __init__(
        self,
        rows: Sequence[InputRow],
        known: Mapping[str, Mapping[str, LogProbResult]],
        config: ScoreConfig,
        journal: RowJournal,
        progress: Progress,
        tasks: Mapping[str, TaskID],
    ) -> None:
        self._rows = {row.row_id: row for row in rows}
        self._cells = {row.row_id: dict(known.get(row.row_id, {})) for row in rows}
        self._config = config
        self._journal = journal
        self._progress = progress
        self._tasks = tasks
        self._lock = threading.Lock()
        self.computed: Counter[str] = Counter()
        self.failed: Counter[tuple[str, str]] = Counter()
        self.fatal: list[tuple[str, LogProbError]] = []
        self.succeeded = 0
        self.retries = 0

    def __call__(self, outcome: CellOutcome) -> None:
        with self._lock:
            cells = self._cells[outcome.sample_id]
            cells[outcome.policy] = outcome.result
            self.computed[outcome.policy] += 1
            self.retries += outcome.retries
            match sealed(outcome.result):
                case Failure(error):
                    self.failed[(outcome.policy, error.kind)] += 1
                    if isinstance(root_cause(error), _FATAL):
                        self.fatal.append((outcome.policy, error))
                case Success(_):
                    self.succeeded += 1
            self._progress.advance(self._tasks[outcome.policy])
            if len(cells) == len(self._config.policies):
                self._journal.append(_output_row(self._rows[outcome.sample_id], cells, self._config))


def _wrapped(config: ScoreConfig) -> list[Policy | AsyncPolicy]:
    settings = config.retry
    return [
        retrying(
            policy,
            max_attempts=settings.max_attempts,
            deadline=settings.deadline,
            max_retry_after=settings.max_retry_after,
        )
        for policy in config.policies
    ]


def missing_keys(config: ScoreConfig) -> Problem | None:
    missing = sorted(
        {
            f"{policy.api_key_env} (for {policy.name})"
            for policy in config.policies
            if policy.api_key_env is not None and not os.environ.get(policy.api_key_env)
        }
    )
    if missing:
        return Problem(
            code=ExitCode.BACKEND,
            message=f"the API key environment variable is not set: {', '.join(missing)}",
        )
    return None


def _fatal_problem(fatal: Sequence[tuple[str, LogProbError]]) -> Problem:
    policy, error = fatal[0]
    return Problem(
        code=ExitCode.BACKEND,
        message=(
            f"the backend of policy {policy!r} is unreachable or refuses us ({root_cause(error).kind}); "
            "nothing more was scored. Check base_url, model and the API key variable, or run "
            "`cje-fp doctor CONFIG`."
        ),
        details="\n".join(f"{name}: {problem.describe()}" for name, problem in fatal[:10]),
    )


class _RateColumn(ProgressColumn):
    """Cells per second of a task."""

    def render(self, task: Task) -> Text:
        return Text("" if task.speed is None else f"{task.speed:6.1f}/s")


def _run(
    out: Path,
    config: ScoreConfig,
    pending: Sequence[InputRow],
    known: Mapping[str, Mapping[str, LogProbResult]],
    console: Console,
) -> _Collector:
    """Compute the pending cells, journaling rows as they complete; stop early if the
    first sample shows the backend is down or refuses us."""
    sampler = MultiTargetSampler(
        policies=_wrapped(config), base_policy_name=config.base_policy, max_concurrency=config.max_concurrency
    )
    known_by_cell = {(row_id, name): result for row_id, cells in known.items() for name, result in cells.items()}
    samples = [Sample(sample_id=row.row_id, context=row.prompt, response=row.response) for row in pending]
    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(), _RateColumn(), TimeRemainingColumn())
    with RowJournal.open(out, id_field=ID_FIELD) as journal, Progress(*columns, console=console) as progress:
        tasks = {
            policy.name: progress.add_task(
                policy.name, total=sum(1 for row in pending if policy.name not in known.get(row.row_id, {}))
            )
            for policy in config.policies
        }
        collector = _Collector(pending, known, config, journal, progress, tasks)
        for batch in (samples[:1], samples[1:]):
            if batch and not collector.fatal:
                sampler.process_batch(batch, known=known_by_cell, on_cell=collector)
    return collector


def run_score(options: ScoreOptions, *, console: Console, errors: Console, verbose: bool) -> int:
    """Score, resume, or retry failed cells; exit 0, or 1/2/3 with one paragraph."""
    match sealed(load_config(options.config)):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(config):
            try:
                return _score(options, config, console=console, errors=errors, verbose=verbose)
            finally:
                config.close()


@attrs.frozen(kw_only=True)
class _Plan:
    """What a run starts from: the input rows and the cells already done."""

    rows: tuple[InputRow, ...]
    known: Mapping[str, Mapping[str, LogProbResult]]
    resumed: bool
    torn_tail_bytes: int

    @property
    def skipped(self) -> int:
        return sum(len(cells) for cells in self.known.values())


def _input_problem(data: Path, problems: Sequence[str]) -> Problem:
    more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
    return Problem(
        code=ExitCode.REFUSED,
        message=f"{data}: {len(problems)} row(s) cannot be scored: {'; '.join(problems[:5])}{more}",
        details="\n".join(problems),
    )


def _plan(options: ScoreOptions, config: ScoreConfig) -> Result[_Plan, Problem]:
    """Read DATA and what SCORED already holds; decide which cells stand."""
    if not options.data.is_file():
        return Failure(Problem(code=ExitCode.USAGE, message=f"no such file: {options.data}"))
    match sealed(read_input(options.data)):
        case Failure(input_problems):
            return Failure(_input_problem(options.data, input_problems.problems))
        case Success(rows):
            return _plan_with(options, config, rows)


def _plan_with(options: ScoreOptions, config: ScoreConfig, rows: tuple[InputRow, ...]) -> Result[_Plan, Problem]:
    match sealed(read_rows(options.out, id_field=ID_FIELD)):
        case Failure(corrupt):
            return Failure(
                Problem(
                    code=ExitCode.USAGE,
                    message=f"{corrupt.describe()}: SCORED is not a file cje-fp score wrote; choose another --out",
                )
            )
        case Success(journal):
            stale = sorted(set(journal.rows) - {row.row_id for row in rows})
            if stale:
                return Failure(
                    Problem(
                        code=ExitCode.USAGE,
                        message=(
                            f"{options.out} holds {len(stale)} row(s) that are not in {options.data} "
                            f"(first: {stale[0]!r}): it was scored from other data; choose another --out"
                        ),
                    )
                )
            known: dict[str, Mapping[str, LogProbResult]] = {}
            for row_id, journal_row in journal.rows.items():
                match sealed(_known_cells(journal_row, config, retry_failed=options.retry_failed)):
                    case Success(cells):
                        known[row_id] = cells
                    case Failure(reason):
                        return Failure(Problem(code=ExitCode.USAGE, message=f"{options.out}: {reason}"))
            return Success(
                _Plan(rows=rows, known=known, resumed=bool(journal.rows), torn_tail_bytes=journal.torn_tail_bytes)
            )


def _score(options: ScoreOptions, config: ScoreConfig, *, console: Console, errors: Console, verbose: bool) -> int:
    if (missing := missing_keys(config)) is not None:
        return report(missing, errors, verbose=verbose)
    match sealed(_plan(options, config)):
        case Failure(problem):
            return report(problem, errors, verbose=verbose)
        case Success(plan):
            return _execute(options, config, plan, console=console, errors=errors, verbose=verbose)


def _execute(
    options: ScoreOptions, config: ScoreConfig, plan: _Plan, *, console: Console, errors: Console, verbose: bool
) -> int:
    width = len(config.policies)
    pending = [row for row in plan.rows if len(plan.known.get(row.row_id, {})) < width]
    to_compute = sum(width - len(plan.known.get(row.row_id, {})) for row in pending)
    resuming = f" (resuming {options.out}; {plan.torn_tail_bytes} torn bytes dropped)" if plan.resumed else ""
    console.print(
        f"{len(plan.rows)} rows x {width} policies: {plan.skipped} cells already done, {to_compute} to compute{resuming}"
    )
    started = time.perf_counter()
    collector = _run(options.out, config, pending, plan.known, errors)
    if collector.fatal and collector.succeeded == 0:
        return report(_fatal_problem(collector.fatal), errors, verbose=verbose)
    match sealed(read_rows(options.out, id_field=ID_FIELD)):
        case Success(written):
            compact(options.out, [written.rows[row.row_id] for row in plan.rows if row.row_id in written.rows])
        case Failure(corrupt):
            return report(Problem(code=ExitCode.USAGE, message=corrupt.describe()), errors, verbose=verbose)
    elapsed = time.perf_counter() - started
    computed = sum(collector.computed.values())
    console.print(
        f"scored {computed} cells in {elapsed:.1f}s ({computed / elapsed if elapsed > 0 else 0.0:.1f} cells/s), "
        f"{collector.retries} retries; {plan.skipped} cells skipped as already done; wrote {options.out}"
    )
    if collector.failed:
        failures = ", ".join(f"{policy}/{kind}={count}" for (policy, kind), count in sorted(collector.failed.items()))
        console.print(f"failed cells (kept as failures, null log probs): {failures}")
        console.print("re-run with --retry-failed to retry only those", style="dim")
    return ExitCode.OK
