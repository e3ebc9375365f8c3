"""``score_file``: log probs for every row of a file under every configured policy, resumable.

Rows are appended to the output as soon as all their cells are done (see
``cje_fp.scoring._checkpoint``), in the format of ``cje_fp.scoring._scored_rows``.
Running again skips every cell already done (``retry_failed`` recomputes the
failed ones); a cell whose row's prompt or response, or whose policy's
fingerprint, changed is recomputed. The output is locked for the run (a second
run on it is refused), and nothing is written to it before it is known to be a
file ``score`` wrote. The first row is scored alone; a backend that refuses us,
cannot be reached or fails cell after cell stops the run early
(``cje_fp.scoring._stopping``), as do Ctrl-C and a full disk. However it ends,
the output is rewritten atomically (when it can be), one line per row in input
order, every field but the cells taken from the current input.

>>> import tempfile, json
>>> with tempfile.TemporaryDirectory() as folder:
...     root = Path(folder)
...     _ = (root / "config.toml").write_text(
...         'base_policy = "base"\\n[defaults]\\nkind = "tabular"\\n'
...         '[policies.base]\\ntable = {q = {a = -1.0}}\\n[policies.t]\\ntable = {q = {a = -2.5}}\\n')
...     _ = (root / "data.jsonl").write_text('{"prompt": "q", "response": "a", "prompt_id": "r1"}\\n')
...     summary = score_file(root / "config.toml", root / "data.jsonl", root / "scored.jsonl")
...     row = json.loads((root / "scored.jsonl").read_text())
>>> summary.map(lambda done: (done.computed, done.succeeded))
<Success: (2, 2)>
>>> row["base_policy_logprob"], row["target_policy_logprobs"]
(-1.0, {'t': -2.5})
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

import attrs
import filelock
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.scoring._checkpoint import RowJournal, compact
from cje_fp.scoring._config import ScoreConfig, load_config, missing_api_keys
from cje_fp.scoring._errors import (
    BackendFatal,
    Interrupted,
    OutputInUse,
    OutputNotWritable,
    ScoringError,
)
from cje_fp.scoring._fingerprints import identical_to_base
from cje_fp.scoring._probe import ProbedConfig, probe_endpoints
from cje_fp.scoring._progress import NoProgress, ScoringProgress, ShowsLoad
from cje_fp.scoring._resume import ResumePlan, plan_run, read_output
from cje_fp.scoring._sample import CellOutcome, Sample
from cje_fp.scoring._sampler import MultiTargetSampler
from cje_fp.scoring._scored_rows import output_row, stored_cells
from cje_fp.scoring._stopping import FatalWatch, RunStop, Stopped, guarded
from cje_fp.scoring._summary import ScoringSummary


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


class _Collector:
    """Gathers cells as they complete; appends a row to the journal once all its cells are in.

    Once the run is halted (stopped early, interrupted, or the disk is full) it
    appends nothing more: a halted run's journal holds complete rows only.
    """

    def __init__(self, plan: ResumePlan, config: ScoreConfig, journal: RowJournal, progress: ScoringProgress) -> None:
        self._rows = {row.row_id: row for row in plan.pending}
        self._cells = {row_id: dict(plan.known.get(row_id, {})) for row_id in self._rows}
        self._config = config
        self._journal = journal
        self._progress = progress
        self._lock = threading.Lock()
        self.stop = RunStop()
        self.watch = FatalWatch(plan.policies)
        self.computed: Counter[str] = Counter()
        self.failed: Counter[tuple[str, str]] = Counter()
        self.write_error: OSError | None = None
        self.succeeded = 0
        self.retries = 0

    def __call__(self, outcome: CellOutcome) -> None:
        with self._lock:
            if self.stop.is_set():
                return
            cells = self._cells[outcome.sample_id]
            cells[outcome.policy] = outcome.result
            self.computed[outcome.policy] += 1
            self.retries += outcome.retries
            match sealed(outcome.result):
                case Failure(error):
                    self.failed[(outcome.policy, error.kind)] += 1
                case Success(_):
                    self.succeeded += 1
            self._progress.advanced(outcome.policy)
            if self.watch.observe(outcome.policy, outcome.sample_id, outcome.result) is not None:
                self.stop.set()
            if len(cells) == len(self._config.policies):
                try:
                    self._journal.append(output_row(self._rows[outcome.sample_id], cells, self._config))
                except OSError as error:
                    self.write_error = error
                    self.stop.set()

    def halt(self) -> None:
        """Append nothing more (waits for an append in progress)."""
        with self._lock:
            self.stop.set()


def _compute(config: ScoreConfig, plan: ResumePlan, collector: _Collector) -> None:
    """Compute the pending cells, the first row alone, until done or halted."""
    sampler = MultiTargetSampler(
        policies=guarded([configured.policy for configured in config.policies], config.retry, collector.stop),
        base_policy_name=config.base_policy,
        max_concurrency=config.max_concurrency,
    )
    known_by_cell = {(row_id, name): result for row_id, cells in plan.known.items() for name, result in cells.items()}
    samples = [Sample(sample_id=row.row_id, context=row.prompt, response=row.response) for row in plan.pending]
    for batch in (samples[:1], samples[1:]):
        if batch and not collector.stop.is_set():
            sampler.process_batch(batch, known=known_by_cell, on_cell=collector)


Compute: TypeAlias = Callable[[ScoreConfig, ResumePlan, "_Collector"], None]
"""How the pending cells are computed into the collector: ``_compute`` here, on Ray elsewhere."""


def _compacted(
    plan: ResumePlan, config: ScoreConfig, leave_out: frozenset[str]
) -> Result[list[dict[str, Any]], ScoringError]:
    """Rewrite the output: one line per row whose every cell stands, in input order, every field
    but the cells from the current input; the rows written."""
    match sealed(read_output(plan.out)):
        case Failure(foreign):
            return Failure(foreign)
        case Success(written):
            rows = []
            for row in plan.rows:
                stored = written.rows.get(row.row_id)
                if stored is None or row.row_id in leave_out:
                    continue
                cells = stored_cells(stored, row, config).value_or({})
                if len(cells) == len(config.policies):
                    rows.append(output_row(row, cells, config))
            try:
                compact(plan.out, rows)
            except OSError as error:
                return Failure(OutputNotWritable(out=str(plan.out), reason=_reason(error)))
            return Success(rows)


def _fatal(stopped: Stopped, out: Path, collector: _Collector) -> BackendFatal:
    details = "\n".join(f"{policy}/{kind}: {count} cells" for (policy, kind), count in sorted(collector.failed.items()))
    return BackendFatal(policy=stopped.policy, cause=stopped.cause, seen=stopped.seen, out=str(out), details=details)


def _summary(
    config: ScoreConfig, plan: ResumePlan, collector: _Collector, elapsed: float, warnings: tuple[str, ...]
) -> ScoringSummary:
    return ScoringSummary(
        out=str(plan.out),
        n_rows=len(plan.rows),
        policies=plan.policies,
        skipped=plan.skipped,
        computed=sum(collector.computed.values()),
        succeeded=collector.succeeded,
        failed=dict(collector.failed),
        retries=collector.retries,
        elapsed_seconds=elapsed,
        resumed=plan.resumed,
        torn_tail_bytes=plan.torn_tail_bytes,
        endpoints={policy.name: stats for policy in config.policies if (stats := policy.endpoints())},
        notes=plan.notes,
        warnings=warnings,
    )


def _journaled(
    config: ScoreConfig, plan: ResumePlan, progress: ScoringProgress, compute: Compute = _compute
) -> tuple[_Collector, bool]:
    """Compute into the journal; the collector, and whether the run was interrupted (Ctrl-C)."""
    journal = RowJournal.open(plan.out, id_field="prompt_id", keep_bytes=plan.complete_bytes)
    collector = _Collector(plan, config, journal, progress)
    interrupted = False
    try:
        compute(config, plan, collector)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        collector.halt()
        try:
            journal.close()
        except OSError as error:
            collector.write_error = collector.write_error or error
    return collector, interrupted


def _run(
    config: ScoreConfig, plan: ResumePlan, progress: ScoringProgress, compute: Compute = _compute
) -> Result[ScoringSummary, ScoringError]:
    started = time.perf_counter()
    if isinstance(progress, ShowsLoad):
        progress.watch({policy.name: policy.load for policy in config.policies})
    progress.started(plan)
    try:
        collector, interrupted = _journaled(config, plan, progress, compute)
    except OSError as error:
        return Failure(OutputNotWritable(out=str(plan.out), reason=_reason(error)))
    finally:
        progress.finished()
    cut_short = interrupted or collector.write_error is not None
    stopped = None if cut_short else collector.watch.at_end()
    compacted = _compacted(plan, config, collector.watch.suspects() if stopped else frozenset())
    if collector.write_error is not None:
        return Failure(OutputNotWritable(out=str(plan.out), reason=_reason(collector.write_error)))
    match sealed(compacted):
        case Failure(problem):
            return Failure(problem)
        case Success(rows) if interrupted:
            return Failure(Interrupted(out=str(plan.out), rows_done=len(rows), n_rows=len(plan.rows)))
        case Success(_) if stopped is not None:
            return Failure(_fatal(stopped, plan.out, collector))
        case Success(rows):
            warnings = identical_to_base(rows, config.policies, config.base_policy)
            return Success(_summary(config, plan, collector, time.perf_counter() - started, warnings))


def _probed_run(
    config: ScoreConfig,
    data: Path,
    out: Path,
    *,
    retry_failed: bool,
    progress: ScoringProgress,
    compute: Compute,
    probe: bool,
) -> Result[ScoringSummary, ScoringError]:
    """Probe each endpoint (``cje_fp.scoring._probe``), then plan and run with what it measured."""

    def planned(probed: ProbedConfig) -> Result[ScoringSummary, ScoringError]:
        return plan_run(probed.config, data, out, retry_failed=retry_failed).bind(
            lambda plan: _run(probed.config, attrs.evolve(plan, notes=probed.notes + plan.notes), progress, compute)
        )

    probed: Result[ProbedConfig, ScoringError] = probe_endpoints(config, enabled=probe)
    return probed.bind(planned)


def _locked(
    config: ScoreConfig,
    data: Path,
    out: Path,
    *,
    retry_failed: bool,
    progress: ScoringProgress,
    compute: Compute,
    probe: bool,
) -> Result[ScoringSummary, ScoringError]:
    """Probe, plan and run while holding the output's lock (``OUT.lock``, left in place); refuse when
    another run holds it."""
    lock = filelock.FileLock(out.with_name(out.name + ".lock"))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        return Failure(OutputInUse(out=str(out), lock=str(lock.lock_file)))
    except OSError as error:
        return Failure(OutputNotWritable(out=str(out), reason=_reason(error)))
    try:
        return _probed_run(config, data, out, retry_failed=retry_failed, progress=progress, compute=compute, probe=probe)
    finally:
        lock.release()


def _score_loaded(
    config: ScoreConfig,
    data: Path,
    out: Path,
    *,
    retry_failed: bool,
    progress: ScoringProgress,
    compute: Compute = _compute,
    probe: bool = True,
) -> Result[ScoringSummary, ScoringError]:
    missing = missing_api_keys(config)
    if missing is not None:
        return Failure(missing)
    return _locked(config, data, out, retry_failed=retry_failed, progress=progress, compute=compute, probe=probe)


def score_file(
    config: ScoreConfig | str | os.PathLike[str],
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    retry_failed: bool = False,
    progress: ScoringProgress | None = None,
    probe: bool = True,
) -> Result[ScoringSummary, ScoringError]:
    """Score every row of ``data`` under every policy of ``config`` into ``out`` (resumable).

    ``config`` is a loaded ``ScoreConfig`` (left open) or the path of a TOML
    config (loaded and closed here). Failed cells are results, counted in the
    summary; a ``ScoringError`` says why the run did not happen or stopped.
    Each endpoint is probed first (``cje_fp.scoring._probe``) unless ``probe``
    is false.
    """
    reporter = progress if progress is not None else NoProgress()
    if isinstance(config, ScoreConfig):
        return _score_loaded(config, Path(data), Path(out), retry_failed=retry_failed, progress=reporter, probe=probe)
    match sealed(load_config(Path(config))):
        case Failure(invalid):
            return Failure(invalid)
        case Success(loaded):
            try:
                return _score_loaded(loaded, Path(data), Path(out), retry_failed=retry_failed, progress=reporter, probe=probe)
            finally:
                loaded.close()
