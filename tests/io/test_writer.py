"""Writing a ``Dataset`` as CJE JSONL: what is written loads back the same."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cje_fp.io import load_dataset, write_jsonl
from tests.helpers.optional import arena_dir
from tests.helpers.results import value_of


def test_write_then_load_round_trips(tmp_path: Path) -> None:
    source = value_of(load_dataset(arena_dir() / "logged_data.jsonl"))
    path = tmp_path / "copy.jsonl"
    write_jsonl(path, source, prompts=lambda i: f"prompt {i}", responses=lambda i: "x" * int(source.response_length[i]))
    copy = value_of(load_dataset(path))
    assert copy.prompt_ids == source.prompt_ids
    for name in source.target_names:
        np.testing.assert_array_equal(copy.targets[name].values, source.targets[name].values)
    np.testing.assert_array_equal(copy.oracle.present, source.oracle.present)
    np.testing.assert_array_equal(copy.response_length, source.response_length)
