"""Inputs for ``score``/``doctor`` runs: fake-server configs and data, tabular configs, the key's environment."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cje_fp.testing import FakeServer, fault_marker

KEY_ENV = "CJE_FP_TEST_KEY"
CANARY = "sk-canary-" + "".join(random.Random(7).choices("abcdefghijkmnopqrstuvwxyz0123456789", k=24))
MODELS = ("model-a", "model-b", "model-c")
N_ROWS = 90
FAILING_ROWS = frozenset({4, 33, 61})
"""Their responses ask the fake server for a 400 context-length error."""


def scoring_rows(n_rows: int = N_ROWS, failing: frozenset[int] = FAILING_ROWS) -> list[dict[str, Any]]:
    """Rows to score: a prompt, a response, a judge score and an id each."""
    rows = []
    for index in range(n_rows):
        response = f"Answer number {index}, with some words."
        if index in failing:
            response += fault_marker("context_length")
        rows.append({"prompt": f"Question {index}?", "response": response, "judge_score": 0.5, "prompt_id": f"q{index}"})
    return rows


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    """One JSON object per line."""
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def write_inputs(folder: Path, server: FakeServer, *, models: tuple[str, ...] = MODELS) -> tuple[Path, Path]:
    """A config of three policies (base, t1, t2) on the fake server, and the rows to score."""
    data = write_rows(folder / "data.jsonl", scoring_rows())
    config = folder / "config.toml"
    policies = "".join(f'[policies.{name}]\nmodel = "{model}"\n' for name, model in zip(("base", "t1", "t2"), models, strict=False))
    config.write_text(
        f'base_policy = "base"\n[defaults]\nbase_url = "{server.base_url}"\napi_key_env = "{KEY_ENV}"\n'
        f'template = "chatml"\nbatch_size = 1\n[retry]\nmax_attempts = 3\ndeadline = 20\n'
        f"[run]\nmax_concurrency = 6\n{policies}"
    )
    return config, data


def write_tabular_config(folder: Path, tables: Mapping[str, Mapping[str, Mapping[str, float]]]) -> Path:
    """A config whose policies (the first is the base) are ``kind = "tabular"``, each table in a JSON file."""
    sections = []
    for name, table in tables.items():
        (folder / f"{name}_table.json").write_text(json.dumps(table))
        sections.append(f'[policies.{name}]\ntable = "{name}_table.json"\n')
    config = folder / "config.toml"
    config.write_text(f'base_policy = "{next(iter(tables))}"\n[defaults]\nkind = "tabular"\n' + "".join(sections))
    return config


def environment(key: str | None = CANARY) -> dict[str, str]:
    """This process's environment with the test key set to ``key`` (or unset)."""
    variables = {name: value for name, value in os.environ.items() if name != KEY_ENV}
    if key is not None:
        variables[KEY_ENV] = key
    return variables
