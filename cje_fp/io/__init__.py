"""Reading and writing logged and scored data in the CJE JSONL format (and Parquet); importers."""

from ._error_records import (
    error_from_record as error_from_record,
    error_to_record as error_to_record,
)
from ._import_inspect import import_inspect as import_inspect
from ._import_lm_eval import import_lm_eval as import_lm_eval
from ._imports import (
    ImportFailed as ImportFailed,
    Imported as Imported,
    SkippedRecord as SkippedRecord,
    write_rows as write_rows,
)
from ._jsonl import (
    find_problems as find_problems,
    load_dataset as load_dataset,
    write_jsonl as write_jsonl,
)
from ._parquet import write_parquet as write_parquet
from ._score_input import (
    InputRow as InputRow,
    read_input as read_input,
)

__all__ = [
    "ImportFailed",
    "Imported",
    "InputRow",
    "SkippedRecord",
    "error_from_record",
    "error_to_record",
    "find_problems",
    "import_inspect",
    "import_lm_eval",
    "load_dataset",
    "read_input",
    "write_jsonl",
    "write_parquet",
    "write_rows",
]
