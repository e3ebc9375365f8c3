"""Why ``score_file`` or ``diagnose_config`` did not run: one record per reason, no exceptions.

Each case says what went wrong in one paragraph (``describe()``) and, where
there is more, in ``details``. The caller decides what a case means (the CLI
maps each to its exit code); a failed *cell* is not here: it is a result.

>>> ApiKeysMissing(variables=("MY_KEY (for base)",)).describe()
'the API key environment variable is not set: MY_KEY (for base)'
"""

from __future__ import annotations

from typing import ClassVar, Final, TypeAlias, final

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
    """The output is not a file ``score`` wrote (a line it would not write, the input itself, a
    directory): it is refused before anything is written to it. ``line`` 0: the file as a whole."""

    kind: ClassVar[str] = "foreign_output"
    path: str
    line: int
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        where = f"line {self.line}: " if self.line else ""
        return f"{self.path}: {where}{self.reason}: not a file cje-fp score wrote; choose another output"


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


_ADVICE: Final = {
    "unauthorized": "check the API key variable (api_key_env) and that the key may use this model",
    "model_not_found": "check the model name, and that base_url ends with the API root (e.g. /v1)",
    "connection_failed": "check base_url and that the server is running",
    "timeout": "check that the server answers, or raise timeout",
    "rate_limited": "lower max_in_flight or raise [retry] deadline",
    "bad_request": "the server rejects every request: run `cje-fp doctor CONFIG`",
    "endpoints_down": "check that the servers of base_urls are running (`cje-fp doctor CONFIG` asks each)",
}


@final
@attrs.frozen(kw_only=True)
class BackendFatal:
    """A backend refused us, could not be reached, or failed cell after cell: the run stopped early."""

    kind: ClassVar[str] = "backend_fatal"
    policy: str
    cause: str
    """The kind of the root failure (``unauthorized``, ``model_not_found``, ``connection_failed``, ...)."""
    seen: str = "is unreachable or refuses us"
    """What was seen, as a clause after the policy (``refuses us (unauthorized)``)."""
    out: str = ""
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        advice = _ADVICE.get(self.cause, "run `cje-fp doctor CONFIG` to see what the endpoint answers")
        kept = f" The rows finished so far are kept in {self.out};" if self.out else ""
        return (
            f"scoring stopped: the backend of policy {self.policy!r} {self.seen}; {advice}.{kept} "
            "re-run the same command to resume (a failure that was about the backend is computed again)."
        )


@final
@attrs.frozen(kw_only=True)
class Interrupted:
    """The run was interrupted (Ctrl-C); every row finished before is in the output."""

    kind: ClassVar[str] = "interrupted"
    out: str
    rows_done: int
    n_rows: int
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return (
            f"interrupted: {self.rows_done} of {self.n_rows} rows are scored in {self.out}; re-run the same "
            "command to resume (finished cells are not computed again)."
        )


@final
@attrs.frozen(kw_only=True)
class OutputInUse:
    """Another ``score`` run holds the output's lock."""

    kind: ClassVar[str] = "output_in_use"
    out: str
    lock: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return (
            f"{self.out} is being written by another cje-fp score run (it holds {self.lock}); wait for it "
            "to finish, or choose another output."
        )


@final
@attrs.frozen(kw_only=True)
class OutputNotWritable:
    """The output could not be written (disk full, permissions); what was written before is kept."""

    kind: ClassVar[str] = "output_not_writable"
    out: str
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return (
            f"cannot write {self.out}: {self.reason}. The rows written before are kept (complete lines only); "
            "free space or fix the permissions, then re-run the same command to resume."
        )


@final
@attrs.frozen(kw_only=True)
class RayMissing:
    """Scoring on Ray was asked for, but Ray is not installed."""

    kind: ClassVar[str] = "ray_missing"
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return 'scoring on Ray needs the ray extra: pip install "cje-fp[ray]" (on the driver and every Ray node)'


@final
@attrs.frozen(kw_only=True)
class RayFailed:
    """The Ray cluster could not be reached, or its workers could not score (the journal keeps what arrived)."""

    kind: ClassVar[str] = "ray_failed"
    reason: str
    details: str = ""

    def describe(self) -> str:
        """One paragraph for humans."""
        return (
            f"scoring on Ray stopped: {self.reason}. Rows already written stay in the output; "
            "fix the cause and run the same command again to resume."
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
    | Interrupted
    | OutputInUse
    | OutputNotWritable
    | RayMissing
    | RayFailed
    | EndpointRefused
)
"""Every reason a scoring run (or a doctor run) does not happen or stops."""
