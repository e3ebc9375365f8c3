"""``CellScorer``: the Ray Data actor that scores batches of rows, one per worker process.

Each actor loads the run's config itself, from the same path as the driver (the
file must be the same on every node: its SHA-256 is checked), and so owns its
policies, their retries and their connections, built exactly as a single-process
run builds them (``load_config``, then ``guarded`` and ``MultiTargetSampler``
as in ``score_file``; the driver decides when a run stops). A batch of work records (``_ray_cells.ROW_COLUMNS``)
becomes one record per computed cell (``_ray_cells.CELL_COLUMNS``); cells a
record says are known are not called again. The API key is read from the
worker's own environment, never sent to it: a worker without it answers with a
single problem record (as for a config it cannot load) instead of scoring.

>>> import asyncio, tempfile, os
>>> with tempfile.TemporaryDirectory() as folder:
...     path = os.path.join(folder, "config.toml")
...     _ = open(path, "w").write('base_policy = "b"\\n[defaults]\\nkind = "tabular"\\n'
...         '[policies.b]\\ntable = {q = {a = -1.0}}\\n[policies.t]\\ntable = {q = {a = -2.0}}\\n')
...     scorer = CellScorer(config_path=path, config_digest=file_digest(path))
...     cells = asyncio.run(scorer({"row_id": ["r1"], "prompt": ["q"], "response": ["a"], "known": ["{}"]}))
>>> sorted(zip(cells["policy"], cells["cell"]))
[('b', '{"ok":-1.0}'), ('t', '{"ok":-2.0}')]
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec
from returns.result import Failure, Success

from cje_fp.errors import sealed
from cje_fp.policy import LogProbResult
from cje_fp.scoring._config import ScoreConfig, load_config, missing_api_keys
from cje_fp.scoring._ray_cells import encode_cell, known_of, problem_batch
from cje_fp.scoring._sample import CellOutcome, Sample
from cje_fp.scoring._sampler import MultiTargetSampler
from cje_fp.scoring._stopping import RunStop, guarded


def file_digest(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _problem(kind: str, message: str, **extra: object) -> str:
    return msgspec.json.encode({"kind": kind, "message": message, "node": socket.gethostname(), **extra}).decode()


class CellScorer:
    """Scores batches of work records under every policy of the config (a Ray Data actor)."""

    def __init__(self, *, config_path: str, config_digest: str) -> None:
        self._problem: str | None = None
        self._sampler: MultiTargetSampler | None = None
        self._config: ScoreConfig | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        try:
            digest = file_digest(config_path)
        except OSError as error:
            self._problem = _problem("config_unreadable", f"cannot read the config {config_path}: {error.strerror}")
            return
        if digest != config_digest:
            self._problem = _problem(
                "config_differs", f"the config {config_path} differs from the driver's (SHA-256 {digest[:12]})"
            )
            return
        match sealed(load_config(Path(config_path))):
            case Failure(invalid):
                self._problem = _problem("config_invalid", invalid.describe())
            case Success(config):
                missing = missing_api_keys(config)
                if missing is not None:
                    config.close()
                    self._problem = _problem("api_keys_missing", missing.describe(), variables=list(missing.variables))
                    return
                self._config = config
                self._sampler = MultiTargetSampler(
                    policies=guarded([configured.policy for configured in config.policies], config.retry, RunStop()),
                    base_policy_name=config.base_policy,
                    max_concurrency=config.max_concurrency,
                )

    async def __call__(self, batch: Mapping[str, Any]) -> dict[str, list[Any]]:
        """The computed cells of a batch of work records (or the one record of the worker's problem).

        A coroutine: Ray Data runs an actor's calls on one event loop, several at a time, so one
        batch waiting for a slow cell's retries does not hold the worker's other batches back.
        """
        self._loop = asyncio.get_running_loop()
        if self._sampler is None:
            return problem_batch(self._problem or _problem("not_ready", "the worker has no policies"))
        ids = [str(value) for value in batch["row_id"]]
        known: dict[tuple[str, str], LogProbResult] = {}
        for row_id, text in zip(ids, batch["known"], strict=True):
            match sealed(known_of(row_id, str(text))):
                case Success(cells):
                    known.update(cells)
                case Failure(reason):
                    return problem_batch(_problem("bad_work", reason))
        samples = [
            Sample(sample_id=row_id, context=str(prompt), response=str(response))
            for row_id, prompt, response in zip(ids, batch["prompt"], batch["response"], strict=True)
        ]
        outcomes: list[CellOutcome] = []
        await self._sampler.process_batch_async(samples, known=known, on_cell=outcomes.append)
        return {
            "row_id": [outcome.sample_id for outcome in outcomes],
            "policy": [outcome.policy for outcome in outcomes],
            "cell": [encode_cell(outcome.result) for outcome in outcomes],
            "retries": [outcome.retries for outcome in outcomes],
            "problem": [""] * len(outcomes),
        }

    async def _aclose(self) -> None:
        if self._config is not None:
            for configured in self._config.policies:
                aclose = getattr(configured.policy, "aclose", None)
                if aclose is not None:
                    await aclose()

    def __del__(self) -> None:
        """Close the connections opened on the actor's event loop, then the rest (Ray Data drops
        the actor when the dataset is done; a killed actor's connections die with it)."""
        loop = self._loop
        try:
            asyncio.get_running_loop()
            on_a_loop = True
        except RuntimeError:
            on_a_loop = False
        if loop is not None and loop.is_running() and not on_a_loop:
            with contextlib.suppress(Exception):  # the process is ending: a close that fails is not news
                asyncio.run_coroutine_threadsafe(self._aclose(), loop).result(timeout=5)
        if self._config is not None:
            self._config.close()
