"""Policy backends, where effects live: exact tables in process, OpenAI-compatible HTTP servers
(``cje_fp.backends.openai``), and the registry through which a scoring config's ``kind``
reaches them (one module per kind, imported only when named)."""

from ._registry import (
    Backend as Backend,
    ConfiguredPolicy as ConfiguredPolicy,
    Diagnosis as Diagnosis,
    EndpointStats as EndpointStats,
    PolicySettings as PolicySettings,
    backend_kinds as backend_kinds,
    fields_of as fields_of,
    resolve_backend as resolve_backend,
)
from ._tabular import (
    TabularPolicy as TabularPolicy,
)

__all__ = [
    "Backend",
    "ConfiguredPolicy",
    "Diagnosis",
    "EndpointStats",
    "PolicySettings",
    "TabularPolicy",
    "backend_kinds",
    "fields_of",
    "resolve_backend",
]
