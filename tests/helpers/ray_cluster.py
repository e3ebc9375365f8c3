"""Ray for the tests: one local instance per test module, the scoring world it runs against, and
the worker processes a test may kill.

The instance is started with the test key in this process's environment, so its workers hold
it as a cluster's workers would (from the environment ``ray start`` ran in); it is shut down
at the module's end, and the key variable restored.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs

from cje_fp.testing import FakeServer, FakeServerConfig
from tests.helpers.optional import require
from tests.helpers.scoring import CANARY, KEY_ENV

#: Faults drawn by each prompt's text: every failure kind the comparison must reproduce. No 429:
#: it fails every prompt batched with the drawn one, so whether a neighbour's retries run out
#: would depend on which prompts shared its requests, which timing decides in any run. For the same
#: reason no body cut short (``malformed_json``, ``truncated_body``): it is retried as a transient
#: failure of the whole request; ``missing_choices`` (a complete 200 without the fields) is the
#: malformed answer that stays exact.
CONTENT_FAULTS: Mapping[str, float] = {
    "server_error": 0.03,
    "missing_choices": 0.02,
    "context_length": 0.03,
    "unprocessable": 0.02,
    "nan": 0.03,
    "positive": 0.03,
    "missing_logprobs": 0.03,
    "echo_mismatch": 0.03,
}
MODELS = ("model-a", "model-b")
ACTOR_TITLE = b"MapBatches(CellScorer)"


def ray_installed() -> bool:
    """Whether the ray extra is installed."""
    try:
        import ray  # noqa: F401 - only whether it imports
    except ImportError:
        return False
    return True


def start_ray() -> Iterator[str]:
    """A local Ray instance (2 CPUs) whose workers hold the test key; yields its address."""
    require(ray_installed(), "ray (the ray extra)", 'pip install -e ".[ray]"')
    import ray

    before = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = CANARY
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
        if before is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = before


def ray_logs() -> Path:
    """The running instance's log folder."""
    import ray

    worker: Any = ray._private.worker  # no public accessor of the session's folder
    return Path(worker._global_node.get_logs_dir_path())


def server_config(*, latency: float = 0.0) -> FakeServerConfig:
    """The fake server: the test key required, content faults, no wait on a 429."""
    return FakeServerConfig(models=MODELS, api_key=CANARY, retry_after="0", latency=latency, content_faults=CONTENT_FAULTS)


def rows(n_rows: int = 120) -> list[dict[str, Any]]:
    """Rows to score, each with a field that must come back unchanged."""
    return [
        {"prompt": f"Question {index}?", "response": f"Answer number {index}, with words.", "prompt_id": f"q{index}",
         "judge_score": index / n_rows}
        for index in range(n_rows)
    ]


def write_config(path: Path, server: FakeServer, *, key_env: str = KEY_ENV) -> Path:
    """Three policies (two models, one system prompt) batching 4 prompts per request."""
    path.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\napi_key_env = "{key_env}"\n'
        'template = "chatml"\nbatch_size = 4\n[retry]\nmax_attempts = 3\ndeadline = 60\n[run]\nmax_concurrency = 8\n'
        '[policies.base]\nmodel = "model-a"\n[policies.t1]\nmodel = "model-b"\n'
        '[policies.t2]\nmodel = "model-a"\nsystem_prompt = "Be brief."\n'
    )
    return path


@attrs.frozen(kw_only=True)
class World:
    """A config and data on the fake server, and the single-process run's output for them."""

    folder: Path
    config: Path
    data: Path
    reference: list[dict[str, Any]]


def comparable(path: Path) -> list[dict[str, Any]]:
    """A scored file's rows, without what names the HTTP request or server a cell came from.

    ``request_hash`` identifies the request that carried a cell; which other prompts shared it
    is decided by timing in any run (batching), so it is the one field two runs may differ in.
    """
    found = [json.loads(line) for line in path.read_text().splitlines()]
    for row in found:
        for record in row["logprob_errors"].values():
            _drop_request_hashes(record)
        for source in row["logprob_source"].values():
            source.pop("base_url", None)
    return found


def _drop_request_hashes(record: dict[str, Any]) -> None:
    """Remove ``request_hash`` wherever it sits in an error record (``http``, ``last``, ...)."""
    record.pop("request_hash", None)
    for value in record.values():
        if isinstance(value, dict):
            _drop_request_hashes(value)


def descendants(parent: int) -> set[int]:
    """The ids of every process below ``parent``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: set[int] = set()
    todo = [parent]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def scoring_actors() -> list[int]:
    """The ids of this test process's scoring actor processes (started by its Ray instance)."""
    actors = []
    for pid in sorted(descendants(os.getpid())):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if ACTOR_TITLE in title:
            actors.append(pid)
    return actors


def kill(pid: int) -> None:
    """SIGKILL one process this test started (through its Ray instance)."""
    os.kill(pid, signal.SIGKILL)


def journal_lines(path: Path) -> int:
    """Complete lines in a journal so far."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


