"""Scoring on Ray: the same run as ``score_file``, its cells computed by an actor pool.

The driver plans the run as ``score_file`` does (``plan_run``: the input rows and
the cells the output already holds), sends the rows still to score through Ray
Data's ``map_batches`` to a pool of ``CellScorer`` actors (each owning its
policies and connections, built from the same config file), and journals each
row through the single-process run's own collector as its cells stream back. A
killed driver leaves the same journal a killed single-process run leaves, and
the next run (on Ray or not) resumes from it; a killed worker's batch is run
again by Ray on a restarted actor, so no cell is lost. At the end the output is
rewritten in input order, as ``score_file`` does.

``score_on_ray(config, data, out)`` scores a file; ``score_dataset(config,
dataset, out)`` scores a Ray Dataset (its rows are read once on the driver to
plan the run and to write every input field back). Without ``ray`` installed
both return ``Failure(RayMissing())``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.scoring._checkpoint import RowJournal
from cje_fp.scoring._config import ScoreConfig, load_config, missing_api_keys
from cje_fp.scoring._errors import ApiKeysMissing, RayFailed, RayMissing, ScoringError
from cje_fp.scoring._progress import NoProgress, ScoringProgress
from cje_fp.scoring._ray_cells import CELL_COLUMNS, decode_cell, work_items
from cje_fp.scoring._ray_worker import CellScorer, file_digest
from cje_fp.scoring._resume import ResumePlan, plan_run
from cje_fp.scoring._run import _Collector, _fatal, _finish
from cje_fp.scoring._sample import CellOutcome
from cje_fp.scoring._scored_rows import ID_FIELD
from cje_fp.scoring._summary import ScoringSummary

if TYPE_CHECKING:
    import ray.data

#: Rows per actor call: large enough to keep a worker's ``max_concurrency`` busy, small
#: enough that rows reach the journal soon after they are scored.
DEFAULT_BATCH_ROWS: Final = 64
#: Batches one actor scores at once (on its event loop), so that a batch waiting for one
#: cell's retries leaves the worker busy; each batch has the config's ``max_concurrency``.
CALLS_PER_WORKER: Final = 4


def _ray_installed() -> bool:
    try:
        import ray  # noqa: F401 - only whether it imports
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def _connected(address: str | None) -> Iterator[Result[None, ScoringError]]:
    """Ray, connected: the session already open, or one opened (and closed) here."""
    import ray

    if ray.is_initialized():
        yield Success(None)
        return
    try:
        ray.init(address=address, include_dashboard=False)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = address or os.environ.get("RAY_ADDRESS") or "a new local instance"
        yield Failure(RayFailed(reason=f"cannot start or reach Ray ({where}): {type(error).__name__}: {error}"))
        return
    try:
        yield Success(None)
    finally:
        ray.shutdown()


def _worker_problem(text: str) -> ScoringError:
    """The error a worker's problem record describes."""
    record = json.loads(text)
    node = record.get("node", "?")
    if record.get("kind") == "api_keys_missing":
        return ApiKeysMissing(
            variables=tuple(f"{variable} on Ray node {node}" for variable in record.get("variables", [])),
            details="a Ray worker reads the key from its own environment: set the variable where `ray start` runs",
        )
    return RayFailed(reason=f"a worker on node {node} cannot score: {record.get('message', text)}")


def _workers(requested: int | None) -> int:
    import ray

    if requested is not None:
        return max(1, requested)
    # ray leaves it unannotated: the cast types it the same with or without ray installed
    resources = cast(Callable[[], dict[str, float]], ray.cluster_resources)()
    return max(1, int(resources.get("CPU", 1)))


def _cells(
    config_path: Path, plan: ResumePlan, *, workers: int | None, batch_rows: int
) -> ray.data.Dataset:
    """The lazy dataset of computed cells for the plan's pending rows."""
    import ray.data

    items = work_items(plan.pending, plan.known)
    blocks = max(1, min(-(-len(items) // batch_rows), 10_000))  # one block per actor call
    return ray.data.from_items(items, override_num_blocks=blocks).map_batches(
        CellScorer,
        fn_constructor_kwargs={"config_path": str(config_path), "config_digest": file_digest(config_path)},
        compute=ray.data.ActorPoolStrategy(
            size=_workers(workers),
            max_concurrent_calls_per_actor=CALLS_PER_WORKER,
            max_tasks_in_flight_per_actor=CALLS_PER_WORKER,
        ),
        batch_size=batch_rows,
        batch_format="numpy",
        num_cpus=1,
    )


def _stream(
    config: ScoreConfig, plan: ResumePlan, cells: ray.data.Dataset, progress: ScoringProgress
) -> Result[_Collector, ScoringError]:
    """Journal rows as their cells stream back; stop early when the first ones show a dead backend."""
    index = {row.row_id: number for number, row in enumerate(plan.pending)}
    with RowJournal.open(plan.out, id_field=ID_FIELD) as journal:
        collector = _Collector(plan, config, journal, progress)
        try:
            for batch in cells.iter_batches(batch_format="numpy", batch_size=None):
                columns = [list(batch[name]) for name in CELL_COLUMNS]
                for row_id, policy, cell, retries, problem in zip(*columns, strict=True):
                    if problem:
                        return Failure(_worker_problem(str(problem)))
                    match sealed(decode_cell(str(cell))):
                        case Success(result):
                            outcome = CellOutcome(
                                sample_index=index[str(row_id)],
                                sample_id=str(row_id),
                                policy=str(policy),
                                result=result,
                                retries=int(retries),
                            )
                            collector(outcome)
                        case Failure(reason):
                            return Failure(RayFailed(reason=f"a worker sent back {reason}"))
                if collector.fatal and collector.succeeded == 0:
                    break
        except Exception as error:  # any failure of Ray's ends the run as a typed error; the journal stays
            first = (str(error).splitlines() or [""])[0]
            return Failure(RayFailed(reason=f"{type(error).__name__}: {first[:300]}"))
    return Success(collector)


def _run_on_ray(
    config: ScoreConfig, plan: ResumePlan, *, workers: int | None, batch_rows: int, progress: ScoringProgress
) -> Result[ScoringSummary, ScoringError]:
    started = time.perf_counter()
    progress.started(plan)
    try:
        streamed = _stream(config, plan, _cells(config.path, plan, workers=workers, batch_rows=batch_rows), progress)
    finally:
        progress.finished()
    match sealed(streamed):
        case Failure(error):
            return Failure(error)
        case Success(collector):
            if collector.fatal and collector.succeeded == 0:
                return Failure(_fatal(collector.fatal))
            return _finish(plan, collector, time.perf_counter() - started)


Runner = Callable[[ScoreConfig], Result[ScoringSummary, ScoringError]]


def _with_config(config: ScoreConfig | str | os.PathLike[str], run: Runner) -> Result[ScoringSummary, ScoringError]:
    """Run with a loaded config (left open), or load the file and close it after."""
    if isinstance(config, ScoreConfig):
        return run(config)
    match sealed(load_config(Path(config))):
        case Failure(invalid):
            return Failure(invalid)
        case Success(loaded):
            try:
                return run(loaded)
            finally:
                loaded.close()


def _planned(
    config: ScoreConfig,
    plan: ResumePlan,
    *,
    address: str | None,
    workers: int | None,
    batch_rows: int,
    progress: ScoringProgress,
) -> Result[ScoringSummary, ScoringError]:
    """Score the plan's pending rows on Ray (nothing pending: only the final rewrite)."""
    if not plan.pending:
        with RowJournal.open(plan.out, id_field=ID_FIELD) as journal:
            collector = _Collector(plan, config, journal, progress)
        return _finish(plan, collector, 0.0)
    with _connected(address) as connected:
        return connected.bind(
            lambda _: _run_on_ray(config, plan, workers=workers, batch_rows=batch_rows, progress=progress)
        )


def score_on_ray(
    config: ScoreConfig | str | os.PathLike[str],
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    address: str | None = None,
    workers: int | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    retry_failed: bool = False,
    progress: ScoringProgress | None = None,
) -> Result[ScoringSummary, ScoringError]:
    """``score_file`` with the cells computed on Ray: the same output, journal and resume.

    ``address`` is a Ray cluster's (``"auto"``, ``"host:6379"``); None uses the session
    already open, else ``RAY_ADDRESS``, else starts a local instance for this run.
    ``workers`` actors (default: one per CPU of the cluster) each score ``batch_rows``
    rows at a time with the config's ``max_concurrency`` and limits. The config file
    must be at the same path, with the same bytes, on every node.
    """
    if not _ray_installed():
        return Failure(RayMissing())
    reporter = progress if progress is not None else NoProgress()

    def run(loaded: ScoreConfig) -> Result[ScoringSummary, ScoringError]:
        missing = missing_api_keys(loaded)
        if missing is not None:
            return Failure(missing)
        return plan_run(loaded, Path(data), Path(out), retry_failed=retry_failed).bind(
            lambda plan: _planned(
                loaded, plan, address=address, workers=workers, batch_rows=batch_rows, progress=reporter
            )
        )

    return _with_config(config, run)


def _plain(value: Any) -> Any:
    """A numpy value from a Ray row as plain Python, for JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def score_dataset(
    config: ScoreConfig | str | os.PathLike[str],
    dataset: ray.data.Dataset,
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    retry_failed: bool = False,
    progress: ScoringProgress | None = None,
) -> Result[ScoringSummary, ScoringError]:
    """Score the rows of a Ray Dataset (``prompt``, ``response``, ``prompt_id``...) into ``out``.

    The rows are checked as ``cje-fp score`` checks a file (a problem's line is the
    row's number) and written to ``out`` with every field kept; resumable as
    ``score_on_ray``. Call it with Ray initialised (the dataset's session).
    """
    if not _ray_installed():
        return Failure(RayMissing())
    reporter = progress if progress is not None else NoProgress()

    def run(loaded: ScoreConfig) -> Result[ScoringSummary, ScoringError]:
        missing = missing_api_keys(loaded)
        if missing is not None:
            return Failure(missing)
        with tempfile.TemporaryDirectory(prefix="cje-fp-ray-") as folder:
            rows = Path(folder) / "dataset_rows.jsonl"
            with rows.open("w") as handle:
                for row in dataset.iter_rows():
                    handle.write(json.dumps(dict(row), default=_plain) + "\n")
            planned = plan_run(loaded, rows, Path(out), retry_failed=retry_failed)
        return planned.bind(
            lambda plan: _planned(
                loaded, plan, address=None, workers=workers, batch_rows=batch_rows, progress=reporter
            )
        )

    return _with_config(config, run)
