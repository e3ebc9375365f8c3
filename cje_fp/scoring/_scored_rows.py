"""A scored row: an input row's cells written as JSON, and the cells of a stored row that still stand.

The row keeps every input field and adds the incumbent's ``base_policy_logprob``
and ``target_policy_logprobs`` (null for a failed cell) plus, per policy, the
status (``"ok"`` or the failure kind), the error record of a failed cell and the
backend's fingerprint of what produced the cell (``cje_fp.io._status``), and, for
the row, ``scored_text``: a digest of the prompt and response its cells scored.

A stored cell stands when the row's ``scored_text`` is the current row's (an
edited prompt or response under the same id is scored again) and its policy's
stored fingerprint is the current one (a changed option is scored again). Every
other field (judge score, oracle label, metadata) always comes from the current
input, never from the stored row. On resume a failure counts as done (unless
failed cells are retried), except one that said the backend was unreachable or
refused us: that is about the run, not the row.

>>> row = InputRow(line=1, row_id="r1", prompt="2+2=", response="4", fields={})
>>> key = text_key(row)
>>> len(key), key == text_key(InputRow(line=9, row_id="r2", prompt="2+2=", response="4", fields={"x": 1}))
(32, True)
>>> key == text_key(InputRow(line=1, row_id="r1", prompt="2+2=", response="5", fields={}))
False
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

from returns.result import Failure, Result, Success

from cje_fp.errors import (
    ConnectionFailed,
    EndpointsDown,
    ModelNotFound,
    Unauthorized,
    root_cause,
    sealed,
)
from cje_fp.io import (
    ERRORS_FIELD,
    SOURCE_FIELD,
    STATUS_FIELD,
    InputRow,
    error_from_record,
    error_to_record,
)
from cje_fp.policy import LogProbResult
from cje_fp.scoring._config import ScoreConfig
from cje_fp.scoring._fingerprints import same_source

#: The row id field of a scored file.
ID_FIELD: Final = "prompt_id"
#: A digest of the prompt and response the row's cells scored.
TEXT_FIELD: Final = "scored_text"
#: Root causes that say the backend is down or refuses us (about the run, not the row).
FATAL_CAUSES: Final = (Unauthorized, ModelNotFound, ConnectionFailed, EndpointsDown)


def text_key(row: InputRow) -> str:
    """What a row's cells score, as 32 hex digits: a digest of its prompt and response."""
    content = json.dumps([row.prompt, row.response], ensure_ascii=False)
    return hashlib.blake2b(content.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _value(result: LogProbResult) -> float | None:
    match sealed(result):
        case Success(log_prob):
            return log_prob
        case Failure(_):
            return None


def _status(result: LogProbResult) -> str:
    match sealed(result):
        case Success(_):
            return "ok"
        case Failure(error):
            return error.kind


def _error_records(cells: Mapping[str, LogProbResult], names: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    failed = {}
    for name in names:
        match sealed(cells[name]):
            case Failure(error):
                failed[name] = error_to_record(error)
            case Success(_):
                pass
    return failed


def output_row(row: InputRow, cells: Mapping[str, LogProbResult], config: ScoreConfig) -> dict[str, Any]:
    """The JSON-ready scored row of ``row`` once every policy's cell is in (fields in config order)."""
    names = tuple(policy.name for policy in config.policies)
    output = dict(row.fields)
    output[ID_FIELD] = row.row_id
    output["base_policy_logprob"] = _value(cells[config.base_policy])
    output["target_policy_logprobs"] = {name: _value(cells[name]) for name in names if name != config.base_policy}
    output[STATUS_FIELD] = {name: _status(cells[name]) for name in names}
    output[ERRORS_FIELD] = _error_records(cells, names)
    output[SOURCE_FIELD] = {policy.name: dict(policy.fingerprint) for policy in config.policies}
    output[TEXT_FIELD] = text_key(row)
    return output


def _same_text(stored: Mapping[str, Any], row: InputRow) -> bool:
    """Whether a stored row scored ``row``'s prompt and response (a file written before
    ``scored_text`` existed: its own prompt and response fields)."""
    if TEXT_FIELD in stored:
        return bool(stored[TEXT_FIELD] == text_key(row))
    return stored.get("prompt") == row.prompt and stored.get("response") == row.response


def _stored_value(stored: Mapping[str, Any], name: str) -> object:
    """The log prob a stored row holds for ``name``, under the base the row was written with."""
    targets = stored.get("target_policy_logprobs")
    targets = targets if isinstance(targets, Mapping) else {}
    return targets[name] if name in targets else stored.get("base_policy_logprob")


def stored_cells(stored: Mapping[str, Any], row: InputRow, config: ScoreConfig) -> Result[dict[str, LogProbResult], str]:
    """Every cell of a stored row that scored ``row``'s text under the policy's current
    fingerprint, failures included; or why the stored row contradicts itself."""
    statuses, sources, errors = (stored.get(field) for field in (STATUS_FIELD, SOURCE_FIELD, ERRORS_FIELD))
    if not _same_text(stored, row) or not isinstance(statuses, Mapping):
        return Success({})
    sources = sources if isinstance(sources, Mapping) else {}
    errors = errors if isinstance(errors, Mapping) else {}
    cells: dict[str, LogProbResult] = {}
    for policy in config.policies:
        name = policy.name
        if not same_source(sources.get(name), policy.fingerprint, policy.fingerprint_tolerance) or name not in statuses:
            continue
        if statuses[name] == "ok":
            value = _stored_value(stored, name)
            if not isinstance(value, int | float) or isinstance(value, bool):
                return Failure(f"row {row.row_id!r}: {name} is ok but has no log prob")
            cells[name] = Success(float(value))
            continue
        record = errors.get(name)
        match sealed(error_from_record(record if isinstance(record, Mapping) else {})):
            case Success(error):
                cells[name] = Failure(error)
            case Failure(reason):
                return Failure(f"row {row.row_id!r}: {name}: {reason}")
    return Success(cells)


def resumable(cells: Mapping[str, LogProbResult], *, retry_failed: bool) -> dict[str, LogProbResult]:
    """The stored cells a run takes as done: successes, and failures about the row (unless retried)."""
    kept: dict[str, LogProbResult] = {}
    for name, result in cells.items():
        match sealed(result):
            case Success(_):
                kept[name] = result
            case Failure(error) if not retry_failed and not isinstance(root_cause(error), FATAL_CAUSES):
                kept[name] = result
            case Failure(_):
                pass
    return kept
