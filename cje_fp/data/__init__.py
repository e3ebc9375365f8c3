"""Logged data as typed columns: the ``Dataset``, its masked columns, data problems, folds."""

from ._dataset import (
    BoolArray as BoolArray,
    CodeArray as CodeArray,
    Dataset as Dataset,
    FloatArray as FloatArray,
    IntArray as IntArray,
    MaskedColumn as MaskedColumn,
    factorize as factorize,
    hash_ids as hash_ids,
)
from ._errors import (
    FILE_LINE as FILE_LINE,
    DataErrors as DataErrors,
    ProblemKind as ProblemKind,
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
