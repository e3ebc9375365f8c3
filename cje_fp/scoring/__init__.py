"""Scoring logged rows under every policy: the sampler, log-space weights, the bridge to a
``Dataset``, the scoring configuration (backends resolved by kind), resumable file scoring
(``score_file``; on Ray, ``score_on_ray`` and ``score_dataset``) and backend diagnosis (``diagnose_config``)."""

from ._batch import (
    Accounting as Accounting,
    BatchResult as BatchResult,
    Exclusion as Exclusion,
    IdentityCheck as IdentityCheck,
    WeightColumn as WeightColumn,
)
from ._batch_dataset import (
    dataset_from_batch as dataset_from_batch,
    log_prob_column as log_prob_column,
)
from ._checkpoint import (
    RowJournal as RowJournal,
    compact as compact,
    read_rows as read_rows,
)
from ._config import (
    RetrySettings as RetrySettings,
    ScoreConfig as ScoreConfig,
    load_config as load_config,
    missing_api_keys as missing_api_keys,
)
from ._diagnose import (
    DoctorSummary as DoctorSummary,
    diagnose_config as diagnose_config,
)
from ._errors import (
    ApiKeysMissing as ApiKeysMissing,
    BackendFatal as BackendFatal,
    ConfigInvalid as ConfigInvalid,
    DataNotFound as DataNotFound,
    EndpointRefused as EndpointRefused,
    ForeignOutput as ForeignOutput,
    InputRejected as InputRejected,
    Interrupted as Interrupted,
    OutputInUse as OutputInUse,
    OutputNotWritable as OutputNotWritable,
    OutputOfOtherData as OutputOfOtherData,
    RayFailed as RayFailed,
    RayMissing as RayMissing,
    ScoringError as ScoringError,
    StoredCellUnreadable as StoredCellUnreadable,
)
from ._interpreters import (
    called_in_order as called_in_order,
)
from ._progress import (
    NoProgress as NoProgress,
    RichProgress as RichProgress,
    ScoringProgress as ScoringProgress,
)
from ._ray import (
    score_dataset as score_dataset,
    score_on_ray as score_on_ray,
)
from ._resume import (
    ResumePlan as ResumePlan,
)
from ._run import (
    score_file as score_file,
)
from ._sample import (
    CellOutcome as CellOutcome,
    Sample as Sample,
    SampleResult as SampleResult,
    ScoredSample as ScoredSample,
)
from ._sampler import (
    MultiTargetSampler as MultiTargetSampler,
    scored_future as scored_future,
)
from ._steps import (
    checked_cells as checked_cells,
    scored_sample as scored_sample,
    target_log_weight as target_log_weight,
    to_dataset as to_dataset,
    weighed_against as weighed_against,
)
from ._summary import (
    ScoringSummary as ScoringSummary,
)
from ._weights import (
    effective_sample_size as effective_sample_size,
    log_normalized_weights as log_normalized_weights,
    log_sum_exp as log_sum_exp,
    log_weight as log_weight,
    mean_one_weights as mean_one_weights,
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
    "EndpointRefused",
    "Exclusion",
    "ForeignOutput",
    "IdentityCheck",
    "InputRejected",
    "Interrupted",
    "MultiTargetSampler",
    "NoProgress",
    "OutputInUse",
    "OutputNotWritable",
    "OutputOfOtherData",
    "RayFailed",
    "RayMissing",
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
    "score_dataset",
    "score_file",
    "score_on_ray",
    "scored_future",
    "scored_sample",
    "target_log_weight",
    "to_dataset",
    "weighed_against",
]
