"""Tools for users' own tests: deterministic fault injection and a fake vLLM-shaped server
(also ``python -m cje_fp.testing``)."""

from cje_fp.policy import (
    Fault as Fault,
    FaultPlan as FaultPlan,
    inject_faults as inject_faults,
)
from ._background import (
    BackgroundServer as BackgroundServer,
    listening_socket as listening_socket,
)
from ._server import (
    CONTEXT_LENGTH_MESSAGE as CONTEXT_LENGTH_MESSAGE,
    FakeServer as FakeServer,
    FakeServerConfig as FakeServerConfig,
    ServerStats as ServerStats,
    expected_log_prob as expected_log_prob,
    fault_marker as fault_marker,
    token_log_prob as token_log_prob,
    tokenize as tokenize,
)

__all__ = [
    "BackgroundServer",
    "CONTEXT_LENGTH_MESSAGE",
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
