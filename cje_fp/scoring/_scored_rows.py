"""A scored row: an input row's cells written as JSON, and the cells of a stored row that still stand.

The row keeps every input field and adds the incumbent's ``base_policy_logprob``
and ``target_policy_logprobs`` (null for a failed cell) plus, per policy, the
status (``"ok"`` or the failure kind), the error record of a failed cell and the
backend's fingerprint of what produced the cell (``cje_fp.io._status``).

On resume a stored cell stands when its fingerprint is the policy's current one.
A failure counts as done (unless failed cells are retried), except one that said
the backend was unreachable or refused us: that is about the run, not the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from returns.result import Failure, Result, Success

from cje_fp.errors import (
    ConnectionFailed,
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
#: Root causes that say the backend is down or refuses us (not a property of the row).
FATAL_CAUSES: Final = (Unauthorized, ModelNotFound, ConnectionFailed)


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


def _error_records(cells: Mapping[str, LogProbResult]) -> dict[str, dict[str, Any]]:
    failed = {}
    for name, result in cells.items():
        match sealed(result):
            case Failure(error):
                failed[name] = error_to_record(error)
            case Success(_):
                pass
    return failed


def output_row(row: InputRow, cells: Mapping[str, LogProbResult], config: ScoreConfig) -> dict[str, Any]:
    """The JSON-ready scored row of ``row`` once every policy's cell is in."""
    output = dict(row.fields)
    output[ID_FIELD] = row.row_id
    output["base_policy_logprob"] = _value(cells[config.base_policy])
    output["target_policy_logprobs"] = {
        policy.name: _value(cells[policy.name]) for policy in config.policies if policy.name != config.base_policy
    }
    output[STATUS_FIELD] = {name: _status(result) for name, result in cells.items()}
    output[ERRORS_FIELD] = _error_records(cells)
    output[SOURCE_FIELD] = {policy.name: dict(policy.fingerprint) for policy in config.policies}
    return output


def _stored_failure(row_id: object, name: str, record: object) -> Result[LogProbResult | None, str]:
    """The failure a stored record describes; None when it was about the backend, not the row."""
    match sealed(error_from_record(record if isinstance(record, Mapping) else {})):
        case Success(error) if isinstance(root_cause(error), FATAL_CAUSES):
            return Success(None)
        case Success(error):
            return Success(Failure(error))
        case Failure(reason):
            return Failure(f"row {row_id!r}: {name}: {reason}")


def known_cells(
    row: Mapping[str, Any], config: ScoreConfig, *, retry_failed: bool
) -> Result[dict[str, LogProbResult], str]:
    """The cells of a stored row that stand; or why the row contradicts itself."""
    statuses = row.get(STATUS_FIELD, {})
    sources = row.get(SOURCE_FIELD, {})
    errors = row.get(ERRORS_FIELD, {})
    targets = row.get("target_policy_logprobs", {})
    known: dict[str, LogProbResult] = {}
    for policy in config.policies:
        name = policy.name
        if not same_source(sources.get(name), policy.fingerprint, policy.fingerprint_tolerance) or name not in statuses:
            continue
        if statuses[name] == "ok":
            # the row's own base is the policy that is not among its targets (the config's base may have changed)
            value = targets.get(name) if name in targets else row.get("base_policy_logprob")
            if not isinstance(value, int | float) or isinstance(value, bool):
                return Failure(f"row {row.get(ID_FIELD)!r}: {name} is ok but has no log prob")
            known[name] = Success(float(value))
        elif not retry_failed:
            match sealed(_stored_failure(row.get(ID_FIELD), name, errors.get(name))):
                case Success(stored) if stored is not None:
                    known[name] = stored
                case Success(_):
                    pass
                case Failure(reason):
                    return Failure(reason)
    return Success(known)


def in_current_roles(row: Mapping[str, Any], config: ScoreConfig) -> dict[str, Any]:
    """``row`` with the config's base and targets (the base may have been switched) and
    without the cells of policies the config no longer declares.

    >>> import tempfile
    >>> from pathlib import Path
    >>> from cje_fp.scoring._config import load_config
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "config.toml"
    ...     _ = path.write_text('base_policy = "t"\\n[defaults]\\nkind = "tabular"\\n'
    ...                         '[policies.b]\\ntable = {}\\n[policies.t]\\ntable = {}\\n')
    ...     config = load_config(path)
    >>> stored = {"base_policy_logprob": -1.0, "target_policy_logprobs": {"t": -2.0, "gone": -3.0},
    ...           "logprob_status": {"b": "ok", "t": "ok", "gone": "ok"}}
    >>> switched = config.map(lambda loaded: in_current_roles(stored, loaded))
    >>> switched.map(lambda row: (row["base_policy_logprob"], row["target_policy_logprobs"], row["logprob_status"]))
    <Success: (-2.0, {'b': -1.0}, {'b': 'ok', 't': 'ok'})>
    """
    statuses = row.get(STATUS_FIELD)
    targets = row.get("target_policy_logprobs")
    if not isinstance(statuses, Mapping) or not isinstance(targets, Mapping):
        return dict(row)
    values = {name: targets[name] if name in targets else row.get("base_policy_logprob") for name in statuses}
    current = [policy.name for policy in config.policies]
    kept = dict(row)
    for field in (STATUS_FIELD, ERRORS_FIELD, SOURCE_FIELD):
        cells = row.get(field)
        if isinstance(cells, Mapping):
            kept[field] = {name: value for name, value in cells.items() if name in current}
    kept["base_policy_logprob"] = values.get(config.base_policy)
    kept["target_policy_logprobs"] = {
        name: values[name] for name in current if name != config.base_policy and name in values
    }
    return kept
