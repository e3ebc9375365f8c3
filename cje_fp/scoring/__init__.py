"""Scoring logged rows under every policy: the sampler, log-space weights, the bridge to a
``Dataset``, the scoring configuration and the resumable journal."""

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
    ScoreConfig as ScoreConfig,
    load_config as load_config,
)
from ._batch import (
    Accounting as Accounting,
    BatchResult as BatchResult,
    Exclusion as Exclusion,
    IdentityCheck as IdentityCheck,
    WeightColumn as WeightColumn,
)
from ._interpreters import (
    called_in_order as called_in_order,
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
from ._weights import (
    effective_sample_size as effective_sample_size,
    log_normalized_weights as log_normalized_weights,
    log_sum_exp as log_sum_exp,
    log_weight as log_weight,
    mean_one_weights as mean_one_weights,
    normalized_weights as normalized_weights,
)

__all__ = [
    "called_in_order",
    "Accounting",
    "BatchResult",
    "CellOutcome",
    "Exclusion",
    "IdentityCheck",
    "MultiTargetSampler",
    "RowJournal",
    "Sample",
    "SampleResult",
    "ScoreConfig",
    "ScoredSample",
    "WeightColumn",
    "checked_cells",
    "compact",
    "dataset_from_batch",
    "effective_sample_size",
    "load_config",
    "log_normalized_weights",
    "log_prob_column",
    "log_sum_exp",
    "log_weight",
    "mean_one_weights",
    "normalized_weights",
    "read_rows",
    "scored_future",
    "scored_sample",
    "target_log_weight",
    "to_dataset",
    "weighed_against",
]
