"""The ``Policy`` protocols and the combinators that take a policy and return one of the same
kind: ``validated``, ``retrying``, ``cached``, and fault injection for tests."""

from ._cache import (
    SuccessCache as SuccessCache,
)
from ._cache import (
    cached as cached,
)
from ._faults import (
    Fault as Fault,
)
from ._faults import (
    FaultPlan as FaultPlan,
)
from ._faults import (
    inject_faults as inject_faults,
)
from ._legacy import LogProbFailed as LogProbFailed
from ._legacy import log_prob as log_prob  # type: ignore[deprecated]  # re-exported for old callers
from ._protocol import (
    AsyncCall as AsyncCall,
)
from ._protocol import (
    AsyncFunctionPolicy as AsyncFunctionPolicy,
)
from ._protocol import (
    AsyncPolicy as AsyncPolicy,
)
from ._protocol import (
    DualFunctionPolicy as DualFunctionPolicy,
)
from ._protocol import (
    DualPolicy as DualPolicy,
)
from ._protocol import (
    FunctionPolicy as FunctionPolicy,
)
from ._protocol import (
    LogProbResult as LogProbResult,
)
from ._protocol import (
    Policy as Policy,
)
from ._protocol import (
    SyncCall as SyncCall,
)
from ._retry import (
    count_retries_in_task as count_retries_in_task,
)
from ._retry import (
    counting_retries as counting_retries,
)
from ._retry import (
    retrying as retrying,
)
from ._validation import (
    input_problem as input_problem,
)
from ._validation import (
    validated as validated,
)

__all__ = [
    "AsyncCall",
    "AsyncFunctionPolicy",
    "AsyncPolicy",
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
