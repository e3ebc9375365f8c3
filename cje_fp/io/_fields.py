"""Columns from a loaded file's extra fields: cluster keys (``--cluster-by``) and label propensities.

Fields beyond the CJE format are kept raw in ``Dataset.extras`` (top-level
ones by name, nested ones as ``metadata.<name>``). ``clustered_by_field``
clusters the rows by one of them, e.g. ``metadata.family`` for near-duplicate
prompt families (``prompt_id`` clusters by prompt id, the default);
``with_label_propensity`` reads ``oracle_label_propensity`` (top level or under
``metadata``) for ``label_design="known_propensity"``. A row without the field,
or with a value of the wrong type, is a problem naming its line.

>>> from cje_fp.data import Dataset
>>> data = Dataset.from_arrays(prompt_ids=["a", "b"], base_log_prob=[-1.0, -1.0], target_log_probs={"t": [-1.0, -1.0]})
>>> data = attrs.evolve(data, extras={"metadata.family": (b'"f1"', b'"f1"')})
>>> clustered_by_field(data, "metadata.family").map(lambda d: d.clusters.tolist())
<Success: [0, 0]>
>>> clustered_by_field(data, "metadata.topic").alt(lambda e: e.problems[0].describe())
<Failure: line 1: metadata.topic: missing_field: --cluster-by metadata.topic: no row has this field>
"""

from __future__ import annotations

import math
from typing import Final

import attrs
import msgspec
from returns.result import Failure, Result, Success

from cje_fp.data import DataErrors, Dataset, MaskedColumn, RowProblem, clustered_by

#: Where a row's labelling probability is read from (top level first).
PROPENSITY_FIELDS: Final = ("oracle_label_propensity", "metadata.oracle_label_propensity")

_SHOWN: Final = 20


def _key(raw: bytes) -> str | None:
    """A cluster key from raw JSON: a string, or a number or boolean as its JSON text; None otherwise."""
    value = msgspec.json.decode(raw)
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return raw.decode("utf-8")
    return None


def clustered_by_field(dataset: Dataset, field: str) -> Result[Dataset, DataErrors]:
    """The dataset clustered by ``field`` (``prompt_id``, a top-level field or ``metadata.<name>``)."""
    if field == "prompt_id":
        return Success(dataset)
    values = dataset.extras.get(field)
    source = dataset.source
    if values is None:
        first = int(dataset.lines[0]) if dataset.n_rows else 0
        problem = RowProblem(
            line=first, field=field, kind="missing_field", reason=f"--cluster-by {field}: no row has this field"
        )
        return Failure(DataErrors(path=source, n_lines=dataset.n_rows, problems=(problem,)))
    keys = [None if raw is None else _key(raw) for raw in values]
    problems = tuple(
        RowProblem(
            line=int(line),
            field=field,
            kind="missing_field" if raw is None else "wrong_type",
            reason=f"--cluster-by {field}: " + ("absent or null" if raw is None else "not a string or number"),
        )
        for line, raw, key in zip(dataset.lines.tolist(), values, keys, strict=True)
        if key is None
    )
    if problems:
        return Failure(DataErrors(path=source, n_lines=dataset.n_rows, problems=problems))
    return Success(clustered_by(dataset, [key for key in keys if key is not None]))


def _propensity(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    value = msgspec.json.decode(raw)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return math.nan
    return float(value)


def with_label_propensity(dataset: Dataset) -> Result[Dataset, DataErrors]:
    """The dataset with ``label_propensity`` from ``oracle_label_propensity`` (unchanged when no row has it).

    A value that is not a number in (0, 1] is a problem; a missing value on a
    labelled row is left for the estimator to refuse (it names the lines).
    """
    columns = [dataset.extras[name] for name in PROPENSITY_FIELDS if name in dataset.extras]
    if not columns:
        return Success(dataset)
    merged = [next((raw for raw in row if raw is not None), None) for row in zip(*columns, strict=True)]
    values = [_propensity(raw) for raw in merged]
    problems = tuple(
        RowProblem(
            line=int(line),
            field="oracle_label_propensity",
            kind="out_of_range",
            reason=f"{value} is not a probability in (0, 1]",
        )
        for line, value in zip(dataset.lines.tolist(), values, strict=True)
        if value is not None and not 0.0 < value <= 1.0
    )
    if problems:
        return Failure(DataErrors(path=dataset.source, n_lines=dataset.n_rows, problems=problems[:_SHOWN]))
    column = MaskedColumn.from_optional(values, missing_reason="absent")
    return Success(attrs.evolve(dataset, label_propensity=column if column.present.any() else None))
