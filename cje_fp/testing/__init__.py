"""Tools for users' own tests: deterministic fault injection and a fake vLLM-shaped server
(also ``python -m cje_fp.testing``, which prints its base URL on the first line)."""

from cje_fp.policy import (
    Fault as Fault,
)
from cje_fp.policy import (
    FaultPlan as FaultPlan,
)
from cje_fp.policy import (
    inject_faults as inject_faults,
)

from ._background import (
    BackgroundServer as BackgroundServer,
)
from ._background import (
    listening_socket as listening_socket,
)
from ._markers import (
    CONTEXT_LENGTH_MESSAGE as CONTEXT_LENGTH_MESSAGE,
)
from ._markers import (
    fault_marker as fault_marker,
)
from ._model import (
    expected_log_prob as expected_log_prob,
)
from ._model import (
    token_log_prob as token_log_prob,
)
from ._model import (
    tokenize as tokenize,
)
from ._server import (
    FakeServer as FakeServer,
)
from ._state import (
    FakeServerConfig as FakeServerConfig,
)
from ._state import (
    ServerStats as ServerStats,
)

__all__ = [
    "CONTEXT_LENGTH_MESSAGE",
    "BackgroundServer",
    "FakeServer",
    "FakeServerConfig",
    "Fault",
    "FaultPlan",
    "ServerStats",
    "expected_log_prob",
    "fault_marker",
    "inject_faults",
    "listening_socket",
    "token_log_prob",
    "tokenize",
]
