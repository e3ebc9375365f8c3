"""Scoring on Ray: the same run as ``score_file``, its cells computed by an actor pool.

``score_on_ray`` is ``score_file``'s run (the output's lock, the plan of what the
journal already holds, the collector that journals each complete row, the stop on
a dead backend, Ctrl-C and a full disk, the final rewrite in input order) with
one step replaced: the pending rows go through Ray Data's ``map_batches`` to a
pool of ``CellScorer`` actors (each owning its policies and connections, built
from the same config file), and their cells are handed to the collector as they
stream back. A killed driver leaves the journal a killed single-process run
leaves, and the next run (on Ray or not) resumes from it; a killed worker's batch
is run again by Ray on a restarted actor, so no cell is lost.

``score_dataset(config, dataset, out)`` scores a Ray Dataset (its rows are read
once on the driver, to plan the run and to write every input field back).
Without ``ray`` installed both return ``Failure(RayMissing())``.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import attrs
from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.scoring._config import ScoreConfig, load_config
from cje_fp.scoring._errors import ApiKeysMissing, RayFailed, RayMissing, ScoringError
from cje_fp.scoring._progress import NoProgress, ScoringProgress
from cje_fp.scoring._ray_cells import CELL_COLUMNS, decode_cell, work_items
from cje_fp.scoring._ray_worker import CellScorer, file_digest
from cje_fp.scoring._resume import ResumePlan
from cje_fp.scoring._run import _Collector, _score_loaded
from cje_fp.scoring._sample import CellOutcome
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


def _stream(plan: ResumePlan, cells: ray.data.Dataset, collector: _Collector) -> ScoringError | None:
    """Hand each cell to the collector as it streams back (the collector journals complete rows);
    stop pulling once the collector's run is stopped. What went wrong, if something did."""
    index = {row.row_id: number for number, row in enumerate(plan.pending)}
    try:
        for batch in cells.iter_batches(batch_format="numpy", batch_size=None):
            columns = [list(batch[name]) for name in CELL_COLUMNS]
            for row_id, policy, cell, retries, problem in zip(*columns, strict=True):
                if problem:
                    return _worker_problem(str(problem))
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
                        return RayFailed(reason=f"a worker sent back {reason}")
            if collector.stop.is_set():
                return None
    except Exception as error:  # any failure of Ray's ends the run as a typed error; the journal stays
        first = (str(error).splitlines() or [""])[0]
        return RayFailed(reason=f"{type(error).__name__}: {first[:300]}")
    return None


@attrs.define
class _OnRay:
    """The compute step of ``score_file``'s run (``_run.Compute``), on Ray; remembers what stopped it."""

    address: str | None
    workers: int | None
    batch_rows: int
    problem: ScoringError | None = None

    def __call__(self, config: ScoreConfig, plan: ResumePlan, collector: _Collector) -> None:
        if not plan.pending:
            return
        with _connected(self.address) as connected:
            match sealed(connected):
                case Failure(error):
                    self.problem = error
                case Success(_):
                    cells = _cells(config.path.resolve(), plan, workers=self.workers, batch_rows=self.batch_rows)
                    self.problem = _stream(plan, cells, collector)
        if self.problem is not None:
            collector.halt()

    def outcome(self, result: Result[ScoringSummary, ScoringError]) -> Result[ScoringSummary, ScoringError]:
        """The run's result, unless Ray stopped it (then why)."""
        return result if self.problem is None else Failure(self.problem)


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
    probe: bool = True,
) -> Result[ScoringSummary, ScoringError]:
    """``score_file`` with the cells computed on Ray: the same output, journal, lock, resume and
    endpoint probe (run by the driver before any cell; ``probe=False`` skips it).

    ``address`` is a Ray cluster's (``"auto"``, ``"host:6379"``); None uses the session
    already open, else ``RAY_ADDRESS``, else starts a local instance for this run.
    ``workers`` actors (default: one per CPU of the cluster) each score ``batch_rows``
    rows a call, several calls at once, with the config's ``max_concurrency`` and limits.
    The config file must be at the same path, with the same bytes, on every node.
    """
    if not _ray_installed():
        return Failure(RayMissing())
    reporter = progress if progress is not None else NoProgress()
    on_ray = _OnRay(address=address, workers=workers, batch_rows=batch_rows)

    def run(loaded: ScoreConfig) -> Result[ScoringSummary, ScoringError]:
        result = _score_loaded(
            loaded, Path(data), Path(out), retry_failed=retry_failed, progress=reporter, compute=on_ray, probe=probe
        )
        return on_ray.outcome(result)

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

    The rows are read once on the driver into a temporary JSONL file and checked as
    ``cje-fp score`` checks a file (a problem's line is the row's number), then scored
    as ``score_on_ray`` scores it, every field kept; resumable. Call it with Ray
    initialised (the dataset's session).
    """
    if not _ray_installed():
        return Failure(RayMissing())
    with tempfile.TemporaryDirectory(prefix="cje-fp-ray-") as folder:
        rows = Path(folder) / "dataset_rows.jsonl"
        with rows.open("w") as handle:
            for row in dataset.iter_rows():
                handle.write(json.dumps(dict(row), default=_plain) + "\n")
        return score_on_ray(
            config, rows, out, workers=workers, batch_rows=batch_rows, retry_failed=retry_failed, progress=progress
        )
