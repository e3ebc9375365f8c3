"""Teacher forcing over an OpenAI-compatible ``/v1/completions`` server: the policy, its wire
format, token-boundary detection, chat templates, batching and the ``doctor`` probe."""

from ._doctor import (
    DoctorReport as DoctorReport,
    alignment_problems as alignment_problems,
    doctor as doctor,
)
from ._policy import (
    OpenAICompatiblePolicy as OpenAICompatiblePolicy,
)
from ._start_probe import (
    PROBE_TOLERANCE as PROBE_TOLERANCE,
    StartProbe as StartProbe,
    start_probe as start_probe,
)
from ._templates import (
    ChatTemplate as ChatTemplate,
    from_jinja as from_jinja,
)

__all__ = [
    "PROBE_TOLERANCE",
    "ChatTemplate",
    "DoctorReport",
    "OpenAICompatiblePolicy",
    "StartProbe",
    "alignment_problems",
    "doctor",
    "from_jinja",
    "start_probe",
]
