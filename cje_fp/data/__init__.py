"""Logged data as typed columns: the ``Dataset``, its masked columns, data problems, folds."""

from ._dataset import (
    BoolArray as BoolArray,
)
from ._dataset import (
    CodeArray as CodeArray,
)
from ._dataset import (
    Dataset as Dataset,
)
from ._dataset import (
    FloatArray as FloatArray,
)
from ._dataset import (
    IntArray as IntArray,
)
from ._dataset import (
    MaskedColumn as MaskedColumn,
)
from ._dataset import (
    factorize as factorize,
)
from ._dataset import (
    hash_ids as hash_ids,
)
from ._errors import (
    FILE_LINE as FILE_LINE,
)
from ._errors import (
    DataErrors as DataErrors,
)
from ._errors import (
    ProblemKind as ProblemKind,
)
from ._errors import (
    RowProblem as RowProblem,
)
from ._folds import (
    assign_folds as assign_folds,
)

__all__ = [
    "FILE_LINE",
    "BoolArray",
    "CodeArray",
    "DataErrors",
    "Dataset",
    "FloatArray",
    "IntArray",
    "MaskedColumn",
    "ProblemKind",
    "RowProblem",
    "assign_folds",
    "factorize",
    "hash_ids",
]
