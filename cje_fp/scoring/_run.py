"""``score_file``: log probs for every row of a file under every configured policy, resumable.

Rows are appended to the output as soon as all their cells are done (see
``cje_fp.scoring._checkpoint``), in the format of ``cje_fp.scoring._scored_rows``.
Running again skips every cell already done (``retry_failed`` recomputes the
failed ones); a cell whose policy's fingerprint changed is recomputed. The first
row is scored alone: if it shows a backend unreachable or refusing us, the run
stops there. At the end the output is rewritten atomically, one line per row,
in input order.

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

import functools
import os
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from returns.result import Failure, Result, Success

from cje_fp.errors import LogProbError, root_cause, sealed
from cje_fp.policy import AsyncPolicy, Policy, retrying
from cje_fp.scoring._checkpoint import RowJournal, compact, read_rows
from cje_fp.scoring._config import ScoreConfig, load_config, missing_api_keys
from cje_fp.scoring._errors import BackendFatal, ForeignOutput, ScoringError
from cje_fp.scoring._fingerprints import identical_to_base
from cje_fp.scoring._probe import ProbedConfig, probe_endpoints
from cje_fp.scoring._progress import NoProgress, ScoringProgress
from cje_fp.scoring._resume import ResumePlan, plan_run
from cje_fp.scoring._sample import CellOutcome, Sample
from cje_fp.scoring._sampler import MultiTargetSampler
from cje_fp.scoring._scored_rows import FATAL_CAUSES, ID_FIELD, in_current_roles, output_row
from cje_fp.scoring._summary import ScoringSummary


class _Collector:
    """Gathers cells as they complete; appends a row to the journal once all its cells are in."""

    def __init__(
        self, plan: ResumePlan, config: ScoreConfig, journal: RowJournal, progress: ScoringProgress
    ) -> None:
        self._rows = {row.row_id: row for row in plan.pending}
        self._cells = {row_id: dict(plan.known.get(row_id, {})) for row_id in self._rows}
        self._config = config
        self._journal = journal
        self._progress = progress
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
                    if isinstance(root_cause(error), FATAL_CAUSES):
                        self.fatal.append((outcome.policy, error))
                case Success(_):
                    self.succeeded += 1
            self._progress.advanced(outcome.policy)
            if len(cells) == len(self._config.policies):
                self._journal.append(output_row(self._rows[outcome.sample_id], cells, self._config))


def _retrying(config: ScoreConfig) -> list[Policy | AsyncPolicy]:
    """Every policy wrapped in the configured retries, keeping the ways it can be called."""
    settings = config.retry
    wrap = functools.partial(
        retrying,
        max_attempts=settings.max_attempts,
        deadline=settings.deadline,
        max_retry_after=settings.max_retry_after,
    )
    wrapped: list[Policy | AsyncPolicy] = []
    for configured in config.policies:
        policy = configured.policy
        # retrying keeps every calling convention the object offers (a dual policy stays dual);
        # the branches only bind its constrained TypeVar for mypy
        if isinstance(policy, Policy):
            wrapped.append(wrap(policy))
        else:
            wrapped.append(wrap(policy))
    return wrapped


def _compute(config: ScoreConfig, plan: ResumePlan, progress: ScoringProgress) -> _Collector:
    """Compute the pending cells, journaling rows as they complete; stop after the first
    sample if it shows the backend is down or refuses us."""
    sampler = MultiTargetSampler(
        policies=_retrying(config), base_policy_name=config.base_policy, max_concurrency=config.max_concurrency
    )
    known_by_cell = {(row_id, name): result for row_id, cells in plan.known.items() for name, result in cells.items()}
    samples = [Sample(sample_id=row.row_id, context=row.prompt, response=row.response) for row in plan.pending]
    with RowJournal.open(plan.out, id_field=ID_FIELD) as journal:
        collector = _Collector(plan, config, journal, progress)
        for batch in (samples[:1], samples[1:]):
            if batch and not collector.fatal:
                sampler.process_batch(batch, known=known_by_cell, on_cell=collector)
    return collector


def _fatal(fatal: Sequence[tuple[str, LogProbError]]) -> BackendFatal:
    policy, error = fatal[0]
    details = "\n".join(f"{name}: {problem.describe()}" for name, problem in fatal[:10])
    return BackendFatal(policy=policy, cause=root_cause(error).kind, details=details, first=root_cause(error).describe())


def _finish(
    config: ScoreConfig, plan: ResumePlan, collector: _Collector, elapsed: float
) -> Result[ScoringSummary, ScoringError]:
    """Rewrite the output once, one line per row in input order (in the config's roles), and sum up the run."""
    final: list[dict[str, Any]] = []
    match sealed(read_rows(plan.out, id_field=ID_FIELD)):
        case Failure(corrupt):
            return Failure(ForeignOutput(path=corrupt.path, line=corrupt.line, reason=corrupt.reason))
        case Success(written):
            final = [in_current_roles(written.rows[row.row_id], config) for row in plan.rows if row.row_id in written.rows]
    compact(plan.out, final)
    return Success(
        ScoringSummary(
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
            notes=plan.notes,
            warnings=identical_to_base(final, config.policies, config.base_policy),
        )
    )


def _run(config: ScoreConfig, plan: ResumePlan, progress: ScoringProgress) -> Result[ScoringSummary, ScoringError]:
    started = time.perf_counter()
    progress.started(plan)
    try:
        collector = _compute(config, plan, progress)
    finally:
        progress.finished()
    if collector.fatal and collector.succeeded == 0:
        return Failure(_fatal(collector.fatal))
    return _finish(config, plan, collector, time.perf_counter() - started)


def _score_loaded(
    config: ScoreConfig, data: Path, out: Path, *, retry_failed: bool, progress: ScoringProgress, probe: bool
) -> Result[ScoringSummary, ScoringError]:
    missing = missing_api_keys(config)
    if missing is not None:
        return Failure(missing)

    def planned(probed: ProbedConfig) -> Result[ScoringSummary, ScoringError]:
        return plan_run(probed.config, data, out, retry_failed=retry_failed).bind(
            lambda plan: _run(probed.config, attrs.evolve(plan, notes=probed.notes + plan.notes), progress)
        )

    probed: Result[ProbedConfig, ScoringError] = probe_endpoints(config, enabled=probe)
    return probed.bind(planned)


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
