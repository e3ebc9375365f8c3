"""Why ``score_file`` or ``diagnose_config`` did not run: one record per reason, no exceptions.

Each case says what went wrong in one paragraph (``describe()``) and, where
there is more, in ``details``. The caller decides what a case means (the CLI
maps each to its exit code); a failed *cell* is not here: it is a result.

>>> ApiKeysMissing(variables=("MY_KEY (for base)",)).describe()
'the API key environment variable is not set: MY_KEY (for base)'
"""

from __future__ import annotations

from typing import ClassVar, TypeAlias, final

import attrs

from cje_fp.data import DataErrors


@final
@attrs.frozen(kw_only=True)
class ConfigInvalid:
    """The scoring config cannot be read, or names something that cannot be built."""

    kind: ClassVar[str] = "config_invalid"
    path: str
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return f"{self.path}: {self.reason}"


@final
@attrs.frozen(kw_only=True)
class DataNotFound:
    """The input rows' file does not exist."""

    kind: ClassVar[str] = "data_not_found"
    path: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return f"no such file: {self.path}"


@final
@attrs.frozen(kw_only=True)
class InputRejected:
    """Rows that cannot be scored (bad JSON, missing text, bad or repeated ids), by line."""

    kind: ClassVar[str] = "input_rejected"
    errors: DataErrors

    def describe(self, shown: int = 5) -> str:
        """One paragraph naming the first problems."""
        problems = [problem.describe() for problem in self.errors.problems]
        more = f" (and {len(problems) - shown} more)" if len(problems) > shown else ""
        return f"{self.errors.path}: {len(problems)} problem(s) in rows to score: {'; '.join(problems[:shown])}{more}"

    @property
    def details(self) -> str:
        """Every problem, one per line."""
        return "\n".join(problem.describe() for problem in self.errors.problems)


@final
@attrs.frozen(kw_only=True)
class ForeignOutput:
    """The output file holds a line that ``score`` would not have written: it is not ours."""

    kind: ClassVar[str] = "foreign_output"
    path: str
    line: int
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return f"{self.path}: line {self.line}: {self.reason}: not a file cje-fp score wrote; choose another output"


@final
@attrs.frozen(kw_only=True)
class OutputOfOtherData:
    """The output file holds rows that are not in the input: it was scored from other data."""

    kind: ClassVar[str] = "output_of_other_data"
    out: str
    data: str
    n_rows: int
    first_id: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return (
            f"{self.out} holds {self.n_rows} row(s) that are not in {self.data} (first: {self.first_id!r}): "
            "it was scored from other data; choose another output"
        )


@final
@attrs.frozen(kw_only=True)
class StoredCellUnreadable:
    """A stored row claims a cell it does not hold (e.g. status ok but no log prob)."""

    kind: ClassVar[str] = "stored_cell_unreadable"
    out: str
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return f"{self.out}: {self.reason}"


@final
@attrs.frozen(kw_only=True)
class ApiKeysMissing:
    """Policies name an API key variable that is not set."""

    kind: ClassVar[str] = "api_keys_missing"
    variables: tuple[str, ...]
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return f"the API key environment variable is not set: {', '.join(self.variables)}"


@final
@attrs.frozen(kw_only=True)
class BackendFatal:
    """The first cells showed a backend unreachable or refusing us; nothing more was scored."""

    kind: ClassVar[str] = "backend_fatal"
    policy: str
    cause: str
    """The kind of the root failure (``unauthorized``, ``model_not_found``, ``connection_failed``)."""
    details: str = ""
    first: str = ""
    """The first such failure, described (a 404 names the path it tried)."""

    def describe(self) -> str:
        """One paragraph for humans."""
        seen = f" First failure: {self.first}." if self.first else ""
        return (
            f"the backend of policy {self.policy!r} is unreachable or refuses us ({self.cause}); "
            f"nothing more was scored.{seen} Check base_url, model and the API key variable, or run "
            "`cje-fp doctor CONFIG`."
        )


@final
@attrs.frozen(kw_only=True)
class EndpointRefused:
    """The probe at the start of a run found an endpoint that would give wrong log probs."""

    kind: ClassVar[str] = "endpoint_refused"
    policies: tuple[str, ...]
    endpoint: str
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        names = ", ".join(repr(name) for name in self.policies)
        return (
            f"policy {names} cannot be scored on {self.endpoint}: {self.reason}. Nothing was scored; "
            "`cje-fp doctor CONFIG` shows every check. (`score --no-probe` skips this check: only for "
            "a server you have verified otherwise.)"
        )


ScoringError: TypeAlias = (
    ConfigInvalid
    | DataNotFound
    | InputRejected
    | ForeignOutput
    | OutputOfOtherData
    | StoredCellUnreadable
    | ApiKeysMissing
    | BackendFatal
    | EndpointRefused
)
"""Every reason a scoring run (or a doctor run) does not happen or stops."""
