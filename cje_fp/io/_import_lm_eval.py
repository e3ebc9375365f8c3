"""lm-evaluation-harness ``--log_samples`` output (``samples_<task>_<date>.jsonl``) into CJE rows.

Each line of that file is one document under one filter::

    {"doc_id": 0, "doc": {...}, "target": "72",
     "arguments": {"gen_args_0": {"arg_0": "<prompt>", "arg_1": {"until": [...]}}},
     "resps": [["<generated text>"]], "filtered_resps": ["72"], "filter": "strict-match",
     "metrics": ["exact_match"], "exact_match": 1.0, "doc_hash": "...", ...}

(older versions wrote ``arguments`` as ``[[prompt, gen_kwargs]]``.) A generation
request (``arg_1`` is its generation options) becomes one row: ``prompt`` is ``arg_0``,
``response`` the raw generation ``resps[0][0]`` (not the filtered answer),
``prompt_id`` is ``<task>:<doc_id>``. A log-likelihood request (``arg_1`` is a
continuation: multiple choice) has no generated response and is skipped. A document
logged under several filters becomes one row (from its first line); every filter's
metrics are kept in ``metadata.lm_eval`` as ``"<metric>,<filter>"``. ``judge_metric`` /
``oracle_metric`` name the metric that becomes ``judge_score`` / ``oracle_label``
(``"exact_match"`` takes the first filter's, ``"exact_match,flexible-extract"`` that filter's).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Final

from returns.result import Failure, Result

from cje_fp.io._imports import (
    Imported,
    ImportFailed,
    SkippedRecord,
    cje_row,
    finished,
    score_value,
)
from cje_fp.io._json_text import TOO_DEEP

_FILE_NAME: Final = re.compile(r"^samples_(?P<task>.+?)(?:_\d{4}-\d{2}-\d{2}T[0-9\-.:]+)?\.jsonl$")
_BOOKKEEPING: Final = frozenset(
    {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash",
     "prompt_hash", "target_hash"}
)  # fmt: skip


def task_from_file_name(path: str | os.PathLike[str]) -> str | None:
    """The task in an lm-eval samples file's name.

    >>> task_from_file_name("out/model/samples_gsm8k_2026-11-27T12-00-00.123456.jsonl")
    'gsm8k'
    >>> task_from_file_name("samples_arc_easy.jsonl"), task_from_file_name("results.json")
    ('arc_easy', None)
    """
    match = _FILE_NAME.match(Path(path).name)
    return match.group("task") if match else None


def _request(arguments: object) -> tuple[object, object] | None:
    """The first request's ``(arg_0, arg_1)``, in either of the two layouts lm-eval has written."""
    if isinstance(arguments, Mapping):
        first = arguments.get("gen_args_0")
        if isinstance(first, Mapping):
            return first.get("arg_0"), first.get("arg_1")
        return None
    if isinstance(arguments, list) and arguments and isinstance(arguments[0], list) and len(arguments[0]) >= 2:
        return arguments[0][0], arguments[0][1]
    return None


def _generation(resps: object) -> str | None:
    if isinstance(resps, list) and resps:
        first = resps[0]
        if isinstance(first, list) and first and isinstance(first[0], str):
            return first[0]
        if isinstance(first, str):
            return first
    return None


def _metrics(record: Mapping[str, object]) -> dict[str, float]:
    names = record.get("metrics")
    keys = [name for name in names if isinstance(name, str)] if isinstance(names, list) else [
        key for key in record if key not in _BOOKKEEPING
    ]
    found = {}
    for key in keys:
        value = score_value(record.get(key))
        if value is not None and not isinstance(record.get(key), str):
            found[key] = value
    return found


def _chosen(metric: str | None, metrics: Mapping[str, float]) -> tuple[float | None, str | None]:
    """The metric's value, or why it cannot be had (None, None when no metric was asked for)."""
    if metric is None:
        return None, None
    if metric in metrics:
        return metrics[metric], None
    return None, f"no metric {metric!r} (it has {sorted(metrics)})"


_Document = tuple[str, str, dict[str, object]]
"""A generation request's prompt, response and metadata."""


def _records(lines: list[str]) -> Iterator[tuple[int, dict[str, object] | SkippedRecord]]:
    """Each non-empty line's sample, or why it is not one."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            yield number, SkippedRecord(where=f"line {number}", reason=f"not JSON ({error.msg})")
            continue
        except RecursionError:
            yield number, SkippedRecord(where=f"line {number}", reason=f"not JSON ({TOO_DEEP})")
            continue
        if not isinstance(record, dict) or "doc_id" not in record:
            yield number, SkippedRecord(where=f"line {number}", reason="not an lm-eval sample (no doc_id)")
            continue
        yield number, record


def _document(record: Mapping[str, object], task: str, number: int) -> _Document | str:
    """The row's makings of a generation request, or why the record has none."""
    request = _request(record.get("arguments"))
    response = _generation(record.get("resps"))
    if request is None or not isinstance(request[0], str):
        return "no prompt in arguments.gen_args_0.arg_0"
    if isinstance(request[1], str):
        return "a log-likelihood request (multiple choice): no generated response"
    if response is None:
        return "no generated text in resps"
    metadata: dict[str, object] = {
        "source": "lm-eval",
        "task": task,
        "doc_id": record["doc_id"],
        "target": record.get("target"),
        "filtered_response": record.get("filtered_resps"),
        "line": number,
    }
    return request[0], response, metadata


def import_lm_eval(
    path: str | os.PathLike[str],
    *,
    task: str | None = None,
    judge_metric: str | None = None,
    oracle_metric: str | None = None,
) -> Result[Imported, ImportFailed]:
    """The CJE rows of an lm-eval samples file, or why it cannot be imported."""
    source = os.fspath(path)
    name = task or task_from_file_name(path)
    if name is None:
        return Failure(
            ImportFailed(path=source, reason="the task is not in the file name (samples_<task>_<date>.jsonl): pass it")
        )
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        return Failure(ImportFailed(path=source, reason=f"unreadable: {error}"))
    documents: dict[str, _Document] = {}
    by_filter: dict[str, dict[str, float]] = {}
    skipped: list[SkippedRecord] = []
    for number, record in _records(lines):
        if isinstance(record, SkippedRecord):
            skipped.append(record)
            continue
        prompt_id = f"{name}:{record['doc_id']}"
        metrics = _metrics(record)
        filter_name = record.get("filter") if isinstance(record.get("filter"), str) else "none"
        named = {f"{key},{filter_name}": value for key, value in metrics.items()}
        if prompt_id in documents:  # the same document under another filter
            by_filter[prompt_id].update(named)
            continue
        document = _document(record, name, number)
        if isinstance(document, str):
            skipped.append(SkippedRecord(where=f"line {number}", reason=document))
            continue
        by_filter[prompt_id] = {**metrics, **named}
        documents[prompt_id] = document
    made = _scored(documents, by_filter, judge_metric, oracle_metric, skipped)
    return finished(source, made, sorted(skipped, key=lambda skip: int(skip.where.removeprefix("line "))))


def _scored(
    documents: Mapping[str, _Document],
    by_filter: Mapping[str, Mapping[str, float]],
    judge_metric: str | None,
    oracle_metric: str | None,
    skipped: list[SkippedRecord],
) -> list[dict[str, object]]:
    """The rows, with the chosen metrics as judge score and oracle label (skipping, into
    ``skipped``, documents that lack one)."""
    made = []
    for prompt_id, (prompt, generated, metadata) in documents.items():
        metrics = by_filter[prompt_id]
        judge, judge_problem = _chosen(judge_metric, metrics)
        oracle, oracle_problem = _chosen(oracle_metric, metrics)
        problem = judge_problem or oracle_problem
        if problem is not None:
            skipped.append(SkippedRecord(where=f"line {metadata['line']}", reason=problem))
            continue
        made.append(
            cje_row(
                prompt_id=prompt_id,
                prompt=prompt,
                response=generated,
                judge_score=judge,
                oracle_label=oracle,
                metadata={**metadata, "lm_eval": dict(metrics)},
            )
        )
    return made
