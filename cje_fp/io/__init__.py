"""Reading and writing logged and scored data in the CJE JSONL format."""

from ._error_records import (
    error_from_record as error_from_record,
    error_to_record as error_to_record,
)
from ._fresh_draws import (
    DrawTable as DrawTable,
    load_draw_directory as load_draw_directory,
    load_draw_file as load_draw_file,
)
from ._jsonl import (
    find_problems as find_problems,
    load_dataset as load_dataset,
    write_jsonl as write_jsonl,
)
from ._score_input import (
    InputRow as InputRow,
    read_input as read_input,
)

__all__ = [
    "DrawTable",
    "load_draw_directory",
    "load_draw_file",
    "InputRow",
    "error_from_record",
    "error_to_record",
    "find_problems",
    "load_dataset",
    "read_input",
    "write_jsonl",
]
