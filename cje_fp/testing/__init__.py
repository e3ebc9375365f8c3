"""Tools for users' own tests: deterministic fault injection, a fake vLLM-shaped server (also
``python -m cje_fp.testing``, which prints its base URL on the first line) and a tiny GGUF
model for a real llama.cpp server."""

from cje_fp.policy import (
    Fault as Fault,
    FaultPlan as FaultPlan,
    inject_faults as inject_faults,
)

from ._background import (
    BackgroundServer as BackgroundServer,
    listening_socket as listening_socket,
)
from ._markers import (
    CONTEXT_LENGTH_MESSAGE as CONTEXT_LENGTH_MESSAGE,
    fault_marker as fault_marker,
)
from ._model import (
    expected_log_prob as expected_log_prob,
    token_log_prob as token_log_prob,
    tokenize as tokenize,
)
from ._server import (
    FakeServer as FakeServer,
)
from ._state import (
    FakeServerConfig as FakeServerConfig,
    ServerStats as ServerStats,
)
from ._tiny_gguf import (
    write_tiny_model as write_tiny_model,
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
    "write_tiny_model",
]
