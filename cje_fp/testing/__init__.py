"""Tools for users' own tests: deterministic fault injection and a fake vLLM-shaped server."""

from cje_fp.testing.faults import Fault, FaultPlan, inject_faults
from cje_fp.testing.server import FakeServer, FakeServerConfig, expected_log_prob, fault_marker

__all__ = [
    "FakeServer",
    "FakeServerConfig",
    "Fault",
    "FaultPlan",
    "expected_log_prob",
    "fault_marker",
    "inject_faults",
]
