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
    AnyPolicyT as AnyPolicyT,
    AsyncCall as AsyncCall,
    AsyncFunctionPolicy as AsyncFunctionPolicy,
    AsyncPolicy as AsyncPolicy,
    BatchAsyncPolicy as BatchAsyncPolicy,
    BatchCall as BatchCall,
    BatchFunctionPolicy as BatchFunctionPolicy,
    CallTransform as CallTransform,
    DualBatchFunctionPolicy as DualBatchFunctionPolicy,
    DualFunctionPolicy as DualFunctionPolicy,
    DualPolicy as DualPolicy,
    FunctionPolicy as FunctionPolicy,
    LogProbResult as LogProbResult,
    Policy as Policy,
    SyncCall as SyncCall,
    transform_policy as transform_policy,
)
from ._retry import retrying as retrying
from ._retry_counts import (
    count_chunk_retries as count_chunk_retries,
    count_retries_in_task as count_retries_in_task,
    counting_retries as counting_retries,
)
from ._validation import (
    input_problem as input_problem,
    validated as validated,
)

__all__ = [
    "AnyPolicyT",
    "AsyncCall",
    "AsyncFunctionPolicy",
    "AsyncPolicy",
    "BatchAsyncPolicy",
    "BatchCall",
    "BatchFunctionPolicy",
    "CallTransform",
    "DualBatchFunctionPolicy",
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
    "count_chunk_retries",
    "count_retries_in_task",
    "counting_retries",
    "inject_faults",
    "input_problem",
    "log_prob",
    "retrying",
    "transform_policy",
    "validated",
]
