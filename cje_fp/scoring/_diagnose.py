"""``diagnose_config``: ask every configured policy's backend whether it can score, before a long run.

Each backend kind answers for its policies (``ConfiguredPolicy.diagnose``): an
HTTP endpoint is probed for exact teacher forcing, a table answers at once.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as folder:
...     path = Path(folder) / "config.toml"
...     _ = path.write_text('base_policy = "b"\\n[defaults]\\nkind = "tabular"\\n'
...                         '[policies.b]\\ntable = {q = {a = -1.0}}\\n[policies.t]\\ntable = {q = {a = -2.0}}\\n')
...     found = diagnose_config(path)
>>> found.map(lambda summary: (summary.usable, summary.unreachable))
<Success: (True, ())>
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Final

import attrs
from returns.result import Failure, Result, Success

from cje_fp.backends._registry import Diagnosis
from cje_fp.errors import sealed
from cje_fp.scoring._config import ScoreConfig, load_config, missing_api_keys
from cje_fp.scoring._errors import ScoringError

#: The version of ``DoctorSummary.to_dict``'s layout.
DOCTOR_SCHEMA_VERSION: Final = 1


@attrs.frozen(kw_only=True)
class DoctorSummary:
    """What every policy's backend said, in config order (base first)."""

    schema_version: ClassVar[int] = DOCTOR_SCHEMA_VERSION
    diagnoses: tuple[Diagnosis, ...]

    @property
    def unreachable(self) -> tuple[str, ...]:
        """Policies whose backend did not answer, or refused us."""
        return tuple(found.policy for found in self.diagnoses if not found.reachable)

    @property
    def unusable(self) -> tuple[str, ...]:
        """Policies that cannot be scored exactly (unreachable ones included)."""
        return tuple(found.policy for found in self.diagnoses if not found.usable)

    @property
    def usable(self) -> bool:
        """Every policy can be scored."""
        return not self.unusable

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict with ``schema_version``."""
        return {"schema_version": self.schema_version, "policies": [attrs.asdict(found) for found in self.diagnoses]}


def _diagnose(config: ScoreConfig, on_policy: Callable[[str], None]) -> Result[DoctorSummary, ScoringError]:
    missing = missing_api_keys(config)
    if missing is not None:
        return Failure(missing)
    diagnoses = []
    for policy in config.policies:
        on_policy(policy.name)
        diagnoses.append(policy.diagnose())
    return Success(DoctorSummary(diagnoses=tuple(diagnoses)))


def _ignore(policy: str) -> None:
    """No one to tell which policy is being probed."""


def diagnose_config(
    config: ScoreConfig | str | os.PathLike[str], *, on_policy: Callable[[str], None] = _ignore
) -> Result[DoctorSummary, ScoringError]:
    """Diagnose every policy of ``config`` (a loaded config, left open, or a path, closed here).

    ``on_policy`` is called with each policy's name before it is probed.
    """
    if isinstance(config, ScoreConfig):
        return _diagnose(config, on_policy)
    match sealed(load_config(Path(config))):
        case Failure(invalid):
            return Failure(invalid)
        case Success(loaded):
            try:
                return _diagnose(loaded, on_policy)
            finally:
                loaded.close()
