"""Writing a ``Dataset`` in the CJE JSONL format (the text of each row supplied by the caller).

>>> import json, os, tempfile
>>> from cje_fp.io._load import load_dataset
>>> with tempfile.TemporaryDirectory() as folder:
...     source = os.path.join(folder, "in.jsonl")
...     with open(source, "w") as handle:
...         _ = handle.write('{"prompt": "q", "response": "a", "base_policy_logprob": -1.0,'
...                          ' "target_policy_logprobs": {"t": null}, "prompt_id": "p1"}\\n')
...     dataset = load_dataset(source)
...     copy = os.path.join(folder, "out.jsonl")
...     written = dataset.map(lambda data: write_jsonl(copy, data, prompts=lambda i: "q", responses=lambda i: "a"))
...     row = json.loads(open(copy).read())
>>> written, row["target_policy_logprobs"], row["metadata"]
(<Success: 1>, {'t': None}, {'prompt_id': 'p1'})
"""

from __future__ import annotations

import os
from collections.abc import Callable

import msgspec

from cje_fp.data import Dataset, MaskedColumn


class _Row(msgspec.Struct, omit_defaults=True):
    """One row in the incumbent's format."""

    prompt: str
    response: str
    base_policy_logprob: float | None
    target_policy_logprobs: dict[str, float | None]
    metadata: dict[str, str]
    judge_score: float | None = None
    oracle_label: float | None = None


def write_jsonl(
    path: str | os.PathLike[str],
    dataset: Dataset,
    *,
    prompts: Callable[[int], str],
    responses: Callable[[int], str],
) -> int:
    """Write ``dataset`` in the CJE JSONL format; the text of row i comes from the callables.

    Missing cells are written as JSON null. Returns the number of rows written.
    """
    encoder = msgspec.json.Encoder()

    def cell(column: MaskedColumn, row: int) -> float | None:
        return float(column.values[row]) if column.codes[row] == 0 else None

    with open(path, "wb") as handle:
        for row in range(dataset.n_rows):
            record = _Row(
                prompt=prompts(row),
                response=responses(row),
                base_policy_logprob=cell(dataset.base, row),
                target_policy_logprobs={name: cell(column, row) for name, column in dataset.targets.items()},
                metadata={"prompt_id": dataset.prompt_ids[row]},
                judge_score=cell(dataset.judge, row),
                oracle_label=cell(dataset.oracle, row),
            )
            handle.write(encoder.encode(record))
            handle.write(b"\n")
    return dataset.n_rows
