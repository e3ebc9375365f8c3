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
from ._sampler import (
    BatchResult as BatchResult,
    CellOutcome as CellOutcome,
    MultiTargetSampler as MultiTargetSampler,
    Sample as Sample,
    SampleResult as SampleResult,
    WeightColumn as WeightColumn,
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
    "BatchResult",
    "CellOutcome",
    "MultiTargetSampler",
    "RowJournal",
    "Sample",
    "SampleResult",
    "ScoreConfig",
    "WeightColumn",
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
]
