"""The ``Policy`` protocols and the combinators that take a policy and return one of the same
kind: ``validated``, ``retrying``, ``cached``, and fault injection for tests."""

from ._cache import (
    SuccessCache as SuccessCache,
    cached as cached,
)
from ._faults import (
    Fault as Fault,
    FaultPlan as FaultPlan,
    inject_faults as inject_faults,
)
from ._legacy import (  # type: ignore[deprecated]  # log_prob is re-exported for old callers
    LogProbFailed as LogProbFailed,
    log_prob as log_prob,
)
from ._protocol import (
    AsyncCall as AsyncCall,
    AsyncFunctionPolicy as AsyncFunctionPolicy,
    AsyncPolicy as AsyncPolicy,
    BatchAsyncPolicy as BatchAsyncPolicy,
    BatchCall as BatchCall,
    DualFunctionPolicy as DualFunctionPolicy,
    DualPolicy as DualPolicy,
    FunctionPolicy as FunctionPolicy,
    LogProbResult as LogProbResult,
    Policy as Policy,
    SyncCall as SyncCall,
)
from ._retry import (
    count_retries_in_task as count_retries_in_task,
    counting_retries as counting_retries,
    retrying as retrying,
)
from ._validation import (
    input_problem as input_problem,
    validated as validated,
)

__all__ = [
    "AsyncCall",
    "AsyncFunctionPolicy",
    "AsyncPolicy",
    "BatchAsyncPolicy",
    "BatchCall",
    "DualFunctionPolicy",
    "DualPolicy",
    "Fault",
    "FaultPlan",
    "FunctionPolicy",
    "LogProbFailed",
    "LogProbResult",
    "Policy",
    "SuccessCache",
    "SyncCall",
    "cached",
    "count_retries_in_task",
    "counting_retries",
    "inject_faults",
    "input_problem",
    "log_prob",
    "retrying",
    "validated",
]
