"""The fields ``cje-fp score`` adds to each row, and how loading reads the status back.

Per row: ``logprob_status`` (policy -> ``"ok"`` or the failure kind),
``logprob_errors`` (policy -> the error record of a failed cell) and
``logprob_source`` (policy -> what produced the cell, as the backend fingerprints
it). A null log prob whose status names a failure is missing for that reason
(e.g. ``timeout``), not as a plain ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import attrs
import msgspec

from cje_fp.data import Dataset, MaskedColumn

#: Policy -> the error record of its failed cell (see ``cje_fp.io._error_records``).
ERRORS_FIELD: Final = "logprob_errors"
#: Policy -> what produced its cell (the backend's fingerprint), to decide on resume whether it stands.
SOURCE_FIELD: Final = "logprob_source"
#: Policy -> ``"ok"`` or the failure kind of its cell.
STATUS_FIELD: Final = "logprob_status"
_STATUS: Final = msgspec.json.Decoder(dict[str, str])


def _recoded(column: MaskedColumn, kinds: Sequence[str | None]) -> MaskedColumn:
    reasons = list(column.reasons)
    codes = column.codes.copy()
    for row, kind in enumerate(kinds):
        if kind is not None and kind != "ok" and reasons[codes[row]] == "null":
            if kind not in reasons:
                reasons.append(kind)
            codes[row] = reasons.index(kind)
    return MaskedColumn(values=column.values, codes=codes, reasons=tuple(reasons))


def with_status_reasons(dataset: Dataset) -> Dataset:
    """A null log prob whose row records why (``logprob_status``, as ``cje-fp score`` writes
    it) is missing for that reason (e.g. ``timeout``) instead of plain ``null``."""
    raw = dataset.extras.get(STATUS_FIELD)
    if raw is None:
        return dataset
    statuses: list[dict[str, str]] = []
    for value in raw:
        try:
            statuses.append(_STATUS.decode(value) if value is not None else {})
        except msgspec.DecodeError:
            statuses.append({})

    def kinds(policy: str) -> list[str | None]:
        return [status.get(policy) for status in statuses]

    base_name = next((name for status in statuses for name in status if name not in dataset.targets), None)
    return attrs.evolve(
        dataset,
        base=_recoded(dataset.base, kinds(base_name)) if base_name is not None else dataset.base,
        targets={name: _recoded(column, kinds(name)) for name, column in dataset.targets.items()},
    )
