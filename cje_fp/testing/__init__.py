"""Tools for users' own tests: deterministic fault injection (``cje_fp.testing.faults``)
and a fake vLLM-shaped server (``cje_fp.testing.server``, also ``python -m cje_fp.testing.server``)."""

from cje_fp.testing.faults import Fault, FaultPlan, inject_faults

__all__ = ["Fault", "FaultPlan", "inject_faults"]
