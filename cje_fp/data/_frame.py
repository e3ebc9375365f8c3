"""A ``Dataset`` as a pandas DataFrame: one row per logged row, missing cells as ``<NA>``.

Needs the ``pandas`` extra. A missing log prob is ``<NA>`` (never a number) and its
reason is in the ``<column>_reason`` column beside it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from cje_fp._extras import require_extra
from cje_fp.data._dataset import Dataset, MaskedColumn

if TYPE_CHECKING:
    import pandas as pd


def _values(column: MaskedColumn) -> pd.arrays.FloatingArray:
    import pandas as pd

    return pd.arrays.FloatingArray(column.values.copy(), ~column.present)


def _reasons(column: MaskedColumn) -> pd.Series[str]:
    import pandas as pd

    names = np.array([None, *column.reasons[1:]], dtype=object)
    return pd.Series(names[column.codes], dtype="string")


def dataset_frame(dataset: Dataset) -> pd.DataFrame:
    """Columns ``prompt_id``, ``line``, ``cluster``, ``response_length``, ``base_policy_logprob``
    (+ ``_reason``), ``logprob.<target>`` (+ ``_reason``) per target, ``judge_score``, ``oracle_label``."""
    require_extra("pandas", extra="pandas", purpose="Dataset.to_frame()")
    import pandas as pd

    columns: dict[str, object] = {
        "prompt_id": pd.Series(dataset.prompt_ids, dtype="string"),
        "line": dataset.lines,
        "cluster": dataset.clusters,
        "response_length": dataset.response_length,
        "base_policy_logprob": _values(dataset.base),
        "base_policy_logprob_reason": _reasons(dataset.base),
    }
    for name in dataset.target_names:
        columns[f"logprob.{name}"] = _values(dataset.targets[name])
        columns[f"logprob.{name}_reason"] = _reasons(dataset.targets[name])
    columns["judge_score"] = _values(dataset.judge)
    columns["oracle_label"] = _values(dataset.oracle)
    return pd.DataFrame(columns)
