"""Tools for users' own tests: deterministic fault injection (``cje_fp.testing.faults``),
a fake vLLM-shaped server (``cje_fp.testing.server``, also ``python -m cje_fp.testing.server``),
and a lean one for load tests, with the same answers and no faults
(``cje_fp.testing.lean_server``, also ``python -m cje_fp.testing.lean_server``)."""

from cje_fp.testing.faults import Fault, FaultPlan, inject_faults

__all__ = ["Fault", "FaultPlan", "inject_faults"]
