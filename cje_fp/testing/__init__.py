"""Tools for users' own tests: deterministic fault injection (and a fake server)."""

from cje_fp.testing.faults import Fault, FaultPlan, inject_faults

__all__ = ["Fault", "FaultPlan", "inject_faults"]
