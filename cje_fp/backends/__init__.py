"""Policy backends, where effects live: exact tables in process, and OpenAI-compatible HTTP
servers (``cje_fp.backends.openai``)."""

from ._tabular import (
    TabularPolicy as TabularPolicy,
)

__all__ = [
    "TabularPolicy",
]
