"""A float column under construction: values in numpy chunks plus a reason code per cell.

Code 0 is a present value; the others say why a cell is missing (``REASONS``
names them). ``CELL_KINDS`` maps the problems confined to one log-prob cell to
the code that cell takes instead of dropping its row.

>>> import msgspec
>>> builder = FloatBuilder()
>>> builder.extend([-1.0, None, msgspec.UNSET])
>>> builder.pad(4)
>>> values, codes = builder.arrays()
>>> [REASONS[code] for code in codes]
['', 'null', 'absent', 'absent']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import attrs
import numpy as np

from cje_fp.data import CodeArray, FloatArray

_NULL: Final = 1
_ABSENT: Final = 2
_INVALID: Final = 3
_WRONG_TYPE: Final = 4
REASONS: Final = ("", "null", "absent", "invalid_log_prob", "wrong_type")
CELL_KINDS: Final = {"invalid_log_prob": _INVALID, "wrong_type": _WRONG_TYPE}
"""Problems of a log-prob cell: the cell becomes missing with this code instead of dropping the row."""



@attrs.define
class FloatBuilder:
    """A float column under construction: numpy chunks of values and reason codes."""

    values: list[FloatArray] = attrs.field(factory=list)
    codes: list[CodeArray] = attrs.field(factory=list)
    from_metadata: list[list[bool]] = attrs.field(factory=list)
    """Per chunk, whether each value was read from ``metadata`` (judge and oracle columns)."""
    length: int = 0

    def extend(self, cells: Sequence[object]) -> None:
        """Append raw cells: a float, None (null) or UNSET (absent or unusable)."""
        # Cells reaching here are finite floats (non-finite ones were reported and unset on the
        # slow path), so NaN and +inf can carry null and absent through one vectorised pass.
        nan, inf = math.nan, math.inf
        values = np.array(
            [cell if cell.__class__ is float else (nan if cell is None else inf) for cell in cells],
            dtype=np.float64,
        )
        codes = np.zeros(values.shape, dtype=np.uint8)
        codes[np.isnan(values)] = _NULL
        codes[np.isinf(values)] = _ABSENT
        values[codes != 0] = nan
        self.values.append(values)
        self.codes.append(codes)
        self.length += len(cells)

    def pad(self, n: int) -> None:
        """Mark rows up to ``n`` as absent."""
        if n > self.length:
            self.values.append(np.full(n - self.length, math.nan))
            self.codes.append(np.full(n - self.length, _ABSENT, dtype=np.uint8))
            self.length = n

    def arrays(self) -> tuple[FloatArray, CodeArray]:
        """The column so far, as one array of values and one of codes."""
        values = np.concatenate(self.values) if self.values else np.zeros(0)
        codes = np.concatenate(self.codes) if self.codes else np.zeros(0, dtype=np.uint8)
        self.values, self.codes = [values], [codes]
        return values, codes
