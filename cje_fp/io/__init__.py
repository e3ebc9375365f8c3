"""Reading and writing logged and scored data in the CJE JSONL format (and Parquet); importers."""

from ._error_records import (
    error_from_record as error_from_record,
    error_to_record as error_to_record,
)
from ._fields import (
    PROPENSITY_FIELDS as PROPENSITY_FIELDS,
    clustered_by_field as clustered_by_field,
    with_label_propensity as with_label_propensity,
)
from ._fresh_draws import (
    DrawTable as DrawTable,
    load_draw_directory as load_draw_directory,
    load_draw_file as load_draw_file,
)
from ._import_inspect import import_inspect as import_inspect
from ._import_lm_eval import import_lm_eval as import_lm_eval
from ._imports import (
    Imported as Imported,
    ImportFailed as ImportFailed,
    SkippedRecord as SkippedRecord,
    write_rows as write_rows,
)
from ._load import (
    find_problems as find_problems,
    load_dataset as load_dataset,
)
from ._parquet import write_parquet as write_parquet
from ._prompt_ids import (
    hashed_prompt_id as hashed_prompt_id,
)
from ._reader import (
    RepeatedPrompts as RepeatedPrompts,
)
from ._score_input import (
    InputRow as InputRow,
    read_input as read_input,
)
from ._status import (
    ERRORS_FIELD as ERRORS_FIELD,
    SOURCE_FIELD as SOURCE_FIELD,
    STATUS_FIELD as STATUS_FIELD,
    with_status_reasons as with_status_reasons,
)
from ._writer import (
    write_jsonl as write_jsonl,
)

__all__ = [
    "ERRORS_FIELD",
    "PROPENSITY_FIELDS",
    "SOURCE_FIELD",
    "STATUS_FIELD",
    "DrawTable",
    "ImportFailed",
    "Imported",
    "InputRow",
    "RepeatedPrompts",
    "SkippedRecord",
    "clustered_by_field",
    "error_from_record",
    "error_to_record",
    "find_problems",
    "hashed_prompt_id",
    "import_inspect",
    "import_lm_eval",
    "load_dataset",
    "load_draw_directory",
    "load_draw_file",
    "read_input",
    "with_label_propensity",
    "with_status_reasons",
    "write_jsonl",
    "write_parquet",
    "write_rows",
]
