"""Reading and writing logged and scored data in the CJE JSONL format."""

from ._error_records import (
    error_from_record as error_from_record,
)
from ._error_records import (
    error_to_record as error_to_record,
)
from ._fresh_draws import (
    DrawTable as DrawTable,
)
from ._fresh_draws import (
    load_draw_directory as load_draw_directory,
)
from ._fresh_draws import (
    load_draw_file as load_draw_file,
)
from ._load import (
    find_problems as find_problems,
)
from ._load import (
    load_dataset as load_dataset,
)
from ._prompt_ids import (
    hashed_prompt_id as hashed_prompt_id,
)
from ._reader import (
    RepeatedPrompts as RepeatedPrompts,
)
from ._score_input import (
    InputRow as InputRow,
)
from ._score_input import (
    read_input as read_input,
)
from ._status import (
    ERRORS_FIELD as ERRORS_FIELD,
)
from ._status import (
    SOURCE_FIELD as SOURCE_FIELD,
)
from ._status import (
    STATUS_FIELD as STATUS_FIELD,
)
from ._status import (
    with_status_reasons as with_status_reasons,
)
from ._writer import (
    write_jsonl as write_jsonl,
)

__all__ = [
    "ERRORS_FIELD",
    "SOURCE_FIELD",
    "STATUS_FIELD",
    "DrawTable",
    "InputRow",
    "RepeatedPrompts",
    "error_from_record",
    "error_to_record",
    "find_problems",
    "hashed_prompt_id",
    "load_dataset",
    "load_draw_directory",
    "load_draw_file",
    "read_input",
    "with_status_reasons",
    "write_jsonl",
]
