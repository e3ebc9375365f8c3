"""Inspect AI eval logs (``.json`` or ``.eval``) into CJE rows.

A ``.json`` log (``inspect eval --log-format json``) is one ``EvalLog`` object whose
``samples`` list holds ``EvalSample`` objects; an ``.eval`` log is a zip archive
with the same samples as ``samples/<id>_epoch_<n>.json`` and the task in
``header.json`` or ``start.json``. A sample::

    {"id": 7, "epoch": 1, "input": "<prompt>" | [chat messages], "target": "...",
     "output": {"model": "...", "choices": [{"message": {"role": "assistant",
                "content": "<text>" | [{"type": "text", "text": "..."}, ...]}}]},
     "scores": {"<scorer>": {"value": "C" | 0.8 | true, "answer": ..., ...}},
     "metadata": {...}, "error": null}

becomes one row: ``prompt`` is the input text (a chat input with one user message,
and optionally a system message, which goes to ``metadata.system_prompt``; other
chat inputs are multi-turn and are skipped), ``response`` the first choice's text,
``prompt_id`` the sample id (``<id>#<epoch>`` when the log has several epochs).
``judge_scorer`` / ``oracle_scorer`` name the scorer whose value becomes
``judge_score`` / ``oracle_label`` (letters as Inspect maps them: C 1, P 0.5, I and N 0).
A sample that errored or has no text output is skipped with its reason.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from returns.result import Failure, Result, Success

from cje_fp.errors import sealed
from cje_fp.io._imports import (
    Imported,
    ImportFailed,
    SkippedRecord,
    cje_row,
    finished,
    score_value,
)


def _text(content: object) -> str | None:
    """A message's text: a string, or the text parts of a content list (reasoning and media skipped)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [part.get("text") for part in content if isinstance(part, Mapping) and part.get("type") == "text"]
        texts = [part for part in parts if isinstance(part, str)]
        return "".join(texts) if texts else None
    return None


def _prompt(value: object) -> tuple[str | None, str | None, str | None]:
    """``(prompt, system prompt, why not)`` of a sample's input."""
    if isinstance(value, str):
        return value, None, None
    if not isinstance(value, list):
        return None, None, "no input"
    roles = [message.get("role") if isinstance(message, Mapping) else None for message in value]
    users = [message for message, role in zip(value, roles, strict=True) if role == "user"]
    systems = [message for message, role in zip(value, roles, strict=True) if role == "system"]
    if len(users) != 1 or len(users) + len(systems) != len(value) or len(systems) > 1:
        return None, None, f"a multi-turn input ({len(value)} messages: {roles}); CJE scores one prompt per row"
    system = _text(systems[0].get("content")) if systems else None
    return _text(users[0].get("content")), system, None


def _response(output: object) -> str | None:
    if not isinstance(output, Mapping):
        return None
    choices = output.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        message = choices[0].get("message")
        if isinstance(message, Mapping):
            text = _text(message.get("content"))
            if text:
                return text
    completion = output.get("completion")
    return completion if isinstance(completion, str) and completion else None


def _scores(sample: Mapping[str, object]) -> dict[str, object]:
    scores = sample.get("scores")
    if not isinstance(scores, Mapping):
        return {}
    return {str(name): score.get("value") for name, score in scores.items() if isinstance(score, Mapping)}


def _score(scorer: str | None, scores: Mapping[str, object]) -> tuple[float | None, str | None]:
    if scorer is None:
        return None, None
    if scorer not in scores:
        return None, f"no scorer {scorer!r} (it has {sorted(scores)})"
    value = score_value(scores[scorer])
    if value is None:
        return None, f"scorer {scorer!r} gave {scores[scorer]!r}, which is not one number"
    return value, None


def _read(path: Path) -> Result[tuple[dict[str, object], list[object]], str]:
    """The log's header (eval spec) and its samples."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                header_name = next((name for name in ("header.json", "start.json") if name in names), None)
                header = json.loads(archive.read(header_name)) if header_name else {}
                samples = [
                    json.loads(archive.read(name))
                    for name in sorted(names)
                    if name.startswith("samples/") and name.endswith(".json")
                ]
            return Success((header if isinstance(header, dict) else {}, samples))
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile, KeyError, RecursionError) as error:
        return Failure(f"unreadable: {type(error).__name__}: {error}")
    if not isinstance(document, dict) or not isinstance(document.get("samples"), list):
        return Failure("not an Inspect eval log (no samples list; write the log with samples, --log-format json)")
    return Success((document, document["samples"]))


def import_inspect(
    path: str | os.PathLike[str], *, judge_scorer: str | None = None, oracle_scorer: str | None = None
) -> Result[Imported, ImportFailed]:
    """The CJE rows of an Inspect eval log, or why it cannot be imported."""
    source = os.fspath(path)
    match sealed(_read(Path(path))):
        case Failure(reason):
            return Failure(ImportFailed(path=source, reason=reason))
        case Success((header, samples)):
            return _rows(source, header, samples, judge_scorer=judge_scorer, oracle_scorer=oracle_scorer)


def _rows(
    source: str,
    header: Mapping[str, object],
    samples: Sequence[object],
    *,
    judge_scorer: str | None,
    oracle_scorer: str | None,
) -> Result[Imported, ImportFailed]:
    spec = header.get("eval") if isinstance(header.get("eval"), Mapping) else {}
    assert isinstance(spec, Mapping)
    epochs = {sample.get("epoch", 1) for sample in samples if isinstance(sample, Mapping)}
    rows = []
    skipped: list[SkippedRecord] = []
    for index, sample in enumerate(samples):
        if not isinstance(sample, Mapping) or "id" not in sample:
            skipped.append(SkippedRecord(where=f"sample {index + 1}", reason="not an Inspect sample (no id)"))
            continue
        epoch = sample.get("epoch", 1)
        where = f"sample {sample['id']} (epoch {epoch})"
        prompt, system, why = _prompt(sample.get("input"))
        response = _response(sample.get("output"))
        scores = _scores(sample)
        judge, judge_problem = _score(judge_scorer, scores)
        oracle, oracle_problem = _score(oracle_scorer, scores)
        problem = (
            (f"the sample errored: {_error(sample.get('error'))}" if sample.get("error") else None)
            or why
            or (None if prompt else "no text in the input")
            or (None if response else "no text output (output.choices[0].message.content)")
            or judge_problem
            or oracle_problem
        )
        if problem is not None or prompt is None or response is None:
            skipped.append(SkippedRecord(where=where, reason=problem or "no prompt or response"))
            continue
        metadata: dict[str, object] = {
            "source": "inspect",
            "task": spec.get("task"),
            "model": spec.get("model"),
            "sample_id": sample["id"],
            "epoch": epoch,
            "target": sample.get("target"),
            "scores": scores,
        }
        if system is not None:
            metadata["system_prompt"] = system
        if isinstance(sample.get("metadata"), Mapping) and sample.get("metadata"):
            metadata["sample_metadata"] = sample.get("metadata")
        prompt_id = str(sample["id"]) if len(epochs) <= 1 else f"{sample['id']}#{epoch}"
        rows.append(
            cje_row(
                prompt_id=prompt_id, prompt=prompt, response=response, judge_score=judge, oracle_label=oracle,
                metadata=metadata,
            )
        )
    return finished(source, rows, skipped)


def _error(error: object) -> str:
    if isinstance(error, Mapping) and isinstance(error.get("message"), str):
        return str(error["message"])
    return str(error)
