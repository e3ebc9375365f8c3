"""Scoring logged rows under every policy: the sampler, log-space weights, the bridge to a
``Dataset``, the scoring configuration (backends resolved by kind), resumable file scoring
(``score_file``) and backend diagnosis (``diagnose_config``)."""

from ._batch import (
    Accounting as Accounting,
)
from ._batch import (
    BatchResult as BatchResult,
)
from ._batch import (
    Exclusion as Exclusion,
)
from ._batch import (
    IdentityCheck as IdentityCheck,
)
from ._batch import (
    WeightColumn as WeightColumn,
)
from ._batch_dataset import (
    dataset_from_batch as dataset_from_batch,
)
from ._batch_dataset import (
    log_prob_column as log_prob_column,
)
from ._checkpoint import (
    RowJournal as RowJournal,
)
from ._checkpoint import (
    compact as compact,
)
from ._checkpoint import (
    read_rows as read_rows,
)
from ._config import (
    RetrySettings as RetrySettings,
)
from ._config import (
    ScoreConfig as ScoreConfig,
)
from ._config import (
    load_config as load_config,
)
from ._config import (
    missing_api_keys as missing_api_keys,
)
from ._diagnose import (
    DoctorSummary as DoctorSummary,
)
from ._diagnose import (
    diagnose_config as diagnose_config,
)
from ._errors import (
    ApiKeysMissing as ApiKeysMissing,
)
from ._errors import (
    BackendFatal as BackendFatal,
)
from ._errors import (
    ConfigInvalid as ConfigInvalid,
)
from ._errors import (
    DataNotFound as DataNotFound,
)
from ._errors import (
    ForeignOutput as ForeignOutput,
)
from ._errors import (
    InputRejected as InputRejected,
)
from ._errors import (
    OutputOfOtherData as OutputOfOtherData,
)
from ._errors import (
    ScoringError as ScoringError,
)
from ._errors import (
    StoredCellUnreadable as StoredCellUnreadable,
)
from ._interpreters import (
    called_in_order as called_in_order,
)
from ._progress import (
    NoProgress as NoProgress,
)
from ._progress import (
    RichProgress as RichProgress,
)
from ._progress import (
    ScoringProgress as ScoringProgress,
)
from ._resume import (
    ResumePlan as ResumePlan,
)
from ._run import (
    score_file as score_file,
)
from ._sample import (
    CellOutcome as CellOutcome,
)
from ._sample import (
    Sample as Sample,
)
from ._sample import (
    SampleResult as SampleResult,
)
from ._sample import (
    ScoredSample as ScoredSample,
)
from ._sampler import (
    MultiTargetSampler as MultiTargetSampler,
)
from ._sampler import (
    scored_future as scored_future,
)
from ._steps import (
    checked_cells as checked_cells,
)
from ._steps import (
    scored_sample as scored_sample,
)
from ._steps import (
    target_log_weight as target_log_weight,
)
from ._steps import (
    to_dataset as to_dataset,
)
from ._steps import (
    weighed_against as weighed_against,
)
from ._summary import (
    ScoringSummary as ScoringSummary,
)
from ._weights import (
    effective_sample_size as effective_sample_size,
)
from ._weights import (
    log_normalized_weights as log_normalized_weights,
)
from ._weights import (
    log_sum_exp as log_sum_exp,
)
from ._weights import (
    log_weight as log_weight,
)
from ._weights import (
    mean_one_weights as mean_one_weights,
)
from ._weights import (
    normalized_weights as normalized_weights,
)

__all__ = [
    "Accounting",
    "ApiKeysMissing",
    "BackendFatal",
    "BatchResult",
    "CellOutcome",
    "ConfigInvalid",
    "DataNotFound",
    "DoctorSummary",
    "Exclusion",
    "ForeignOutput",
    "IdentityCheck",
    "InputRejected",
    "MultiTargetSampler",
    "NoProgress",
    "OutputOfOtherData",
    "ResumePlan",
    "RetrySettings",
    "RichProgress",
    "RowJournal",
    "Sample",
    "SampleResult",
    "ScoreConfig",
    "ScoredSample",
    "ScoringError",
    "ScoringProgress",
    "ScoringSummary",
    "StoredCellUnreadable",
    "WeightColumn",
    "called_in_order",
    "checked_cells",
    "compact",
    "dataset_from_batch",
    "diagnose_config",
    "effective_sample_size",
    "load_config",
    "log_normalized_weights",
    "log_prob_column",
    "log_sum_exp",
    "log_weight",
    "mean_one_weights",
    "missing_api_keys",
    "normalized_weights",
    "read_rows",
    "score_file",
    "scored_future",
    "scored_sample",
    "target_log_weight",
    "to_dataset",
    "weighed_against",
]
