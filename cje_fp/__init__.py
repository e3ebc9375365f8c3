"""cje-fp: causal judge evaluation where a failure is never a number.

Every policy call returns ``Result[float, LogProbError]``; weights stay in log
space; estimates come with honest standard errors or a typed refusal.

The names below are the short, deliberate public list; everything else lives in
the layer packages (``cje_fp.errors``, ``cje_fp.policy``, ``cje_fp.backends``,
``cje_fp.data``, ``cje_fp.io``, ``cje_fp.scoring``, ``cje_fp.estimation``,
``cje_fp.report``, ``cje_fp.simulation``, ``cje_fp.testing``). A name is
resolved on first use through ``_NAME_TABLE``, so importing ``cje_fp`` (and
reading ``cje_fp.sealed``) loads nothing heavy: mypy imports the plugin
``cje_fp.contrib.mypy`` through this package.

>>> import cje_fp
>>> cje_fp.sealed.__module__
'cje_fp.errors._sealed'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from cje_fp.backends import TabularPolicy
    from cje_fp.backends.openai import OpenAICompatiblePolicy
    from cje_fp.data import DataErrors, Dataset
    from cje_fp.errors import LogProbError, is_failure, is_success, sealed
    from cje_fp.estimation import Estimate, EstimationConfig, EstimationError, compare, estimate, estimate_all
    from cje_fp.io import load_dataset
    from cje_fp.policy import AsyncPolicy, LogProbResult, Policy, cached, retrying, validated
    from cje_fp.scoring import BatchResult, MultiTargetSampler, dataset_from_batch, log_weight
    from cje_fp.simulation import WorldConfig, evaluate_estimators, simulate

#: Each public name and the package that defines it.
_NAME_TABLE: Final[dict[str, str]] = {
    "AsyncPolicy": "cje_fp.policy",
    "BatchResult": "cje_fp.scoring",
    "DataErrors": "cje_fp.data",
    "Dataset": "cje_fp.data",
    "Estimate": "cje_fp.estimation",
    "EstimationConfig": "cje_fp.estimation",
    "EstimationError": "cje_fp.estimation",
    "LogProbError": "cje_fp.errors",
    "LogProbResult": "cje_fp.policy",
    "MultiTargetSampler": "cje_fp.scoring",
    "OpenAICompatiblePolicy": "cje_fp.backends.openai",
    "Policy": "cje_fp.policy",
    "TabularPolicy": "cje_fp.backends",
    "WorldConfig": "cje_fp.simulation",
    "cached": "cje_fp.policy",
    "compare": "cje_fp.estimation",
    "dataset_from_batch": "cje_fp.scoring",
    "estimate": "cje_fp.estimation",
    "estimate_all": "cje_fp.estimation",
    "evaluate_estimators": "cje_fp.simulation",
    "is_failure": "cje_fp.errors",
    "is_success": "cje_fp.errors",
    "load_dataset": "cje_fp.io",
    "log_weight": "cje_fp.scoring",
    "retrying": "cje_fp.policy",
    "sealed": "cje_fp.errors",
    "simulate": "cje_fp.simulation",
    "validated": "cje_fp.policy",
}

__all__ = [
    "AsyncPolicy",
    "BatchResult",
    "DataErrors",
    "Dataset",
    "Estimate",
    "EstimationConfig",
    "EstimationError",
    "LogProbError",
    "LogProbResult",
    "MultiTargetSampler",
    "OpenAICompatiblePolicy",
    "Policy",
    "TabularPolicy",
    "WorldConfig",
    "cached",
    "compare",
    "dataset_from_batch",
    "estimate",
    "estimate_all",
    "evaluate_estimators",
    "is_failure",
    "is_success",
    "load_dataset",
    "log_weight",
    "retrying",
    "sealed",
    "simulate",
    "validated",
]

if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module_name = _NAME_TABLE.get(name)
        if module_name is None:
            raise AttributeError(f"module 'cje_fp' has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name), name)
        globals()[name] = value
        return value
