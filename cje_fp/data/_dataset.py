"""``Dataset``: logged rows as typed columns, each with a mask and the reason a cell is missing.

A column never uses a number for "missing": every ``MaskedColumn`` carries a
reason code per row (0 = present) next to its values, and the values of missing
cells are NaN only as poison, so that reading one by mistake cannot look like
data. Estimators take ``values[present]`` once and work on plain arrays.

>>> import numpy as np
>>> data = Dataset.from_arrays(
...     prompt_ids=["a", "b", "c"],
...     base_log_prob=[-1.0, -2.0, None],
...     target_log_probs={"t": [-1.5, None, -1.0]},
...     judge_score=[0.2, 0.5, 0.9],
...     oracle_label=[0.0, None, 1.0],
... )
>>> data.n_rows, data.target_names
(3, ('t',))
>>> data.targets["t"].excluded_by_reason()
{'null': 1}
>>> data.usable_mask("t").tolist()
[True, False, False]
>>> dict(data.exclusions("t"))
{'base_log_prob:null': 1, 'target_log_prob:null': 1}
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final

import attrs
import numpy as np
import numpy.typing as npt

from cje_fp.data._errors import RowProblem

if TYPE_CHECKING:
    import pandas as pd

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.uint8]
HashArray = npt.NDArray[np.uint64]

#: The reason code of a present cell.
PRESENT: Final = 0


def _as_float(values: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(values, dtype=np.float64)


@attrs.frozen(kw_only=True, eq=False)
class MaskedColumn:
    """A float column whose missing cells carry a reason instead of a value.

    ``reasons[code]`` names each code; ``reasons[0]`` is ``""`` (present).
    """

    values: FloatArray = attrs.field(converter=_as_float)
    codes: CodeArray
    reasons: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        if self.values.shape != self.codes.shape or self.values.ndim != 1:
            raise ValueError("values and codes must be one-dimensional and of equal length")
        if not self.reasons or self.reasons[0] != "":
            raise ValueError("reasons[0] must be '' (the code of a present cell)")
        if self.codes.size and int(self.codes.max()) >= len(self.reasons):
            raise ValueError("a code has no reason")
        present = self.codes == PRESENT
        if not np.all(np.isfinite(self.values[present])):
            raise ValueError("a present cell must hold a finite number")

    @classmethod
    def from_optional(
        cls, values: Iterable[float | None], missing_reason: str = "null"
    ) -> MaskedColumn:
        """A column from values where ``None`` is missing for ``missing_reason``."""
        items = list(values)
        codes = np.fromiter((item is None for item in items), dtype=np.uint8, count=len(items))
        floats = np.fromiter(
            (np.nan if item is None else item for item in items), dtype=np.float64, count=len(items)
        )
        return cls(values=floats, codes=codes, reasons=("", missing_reason))

    @classmethod
    def complete(cls, values: npt.ArrayLike) -> MaskedColumn:
        """A column with no missing cell."""
        floats = _as_float(values)
        return cls(values=floats, codes=np.zeros(floats.shape, dtype=np.uint8), reasons=("",))

    @property
    def present(self) -> BoolArray:
        """Which cells hold a value."""
        present: BoolArray = self.codes == PRESENT
        return present

    def excluded_by_reason(self, rows: BoolArray | None = None) -> dict[str, int]:
        """How many missing cells (among ``rows``, default all) each reason accounts for."""
        codes = self.codes if rows is None else self.codes[rows]
        counts = np.bincount(codes, minlength=len(self.reasons))
        return {self.reasons[code]: int(count) for code, count in enumerate(counts) if code and count}

    def take(self, rows: IntArray | BoolArray) -> MaskedColumn:
        """The column restricted to ``rows``."""
        return MaskedColumn(values=self.values[rows], codes=self.codes[rows], reasons=self.reasons)


def prompt_hash(prompt_id: str) -> int:
    """A stable 64-bit hash of a prompt id (two CRC-32s of its UTF-8 bytes), the root of folds.

    Stable across processes and platforms (unlike ``hash``), and cheap enough for
    a million ids; fold assignment only needs it to spread ids evenly.

    >>> prompt_hash("arena_1") == prompt_hash("arena_1") != prompt_hash("arena_2")
    True
    """
    data = prompt_id.encode("utf-8", "surrogatepass")
    return zlib.crc32(data) | (zlib.crc32(data, 0x9E3779B9) << 32)


def hash_ids(prompt_ids: Sequence[str]) -> HashArray:
    """``prompt_hash`` of each id, as an array."""
    return np.fromiter(map(prompt_hash, prompt_ids), dtype=np.uint64, count=len(prompt_ids))


def factorize(prompt_ids: Sequence[str]) -> tuple[IntArray, HashArray]:
    """Cluster codes per row (0..G-1 in order of first appearance) and each cluster's hash.

    >>> codes, hashes = factorize(["x", "y", "x"])
    >>> codes.tolist(), len(hashes)
    ([0, 1, 0], 2)
    """
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(pid, len(index)) for pid in prompt_ids), dtype=np.int64, count=len(prompt_ids)
    )
    return codes, hash_ids(list(index))


@attrs.frozen(kw_only=True, eq=False)
class Dataset:
    """Logged rows as columns: base and target log probs, judge, oracle, lengths, clusters.

    ``lines`` gives each row's source line (1-based; the row number for data
    not read from a file). ``response_length`` is a length proxy used by the
    missingness check: bytes of the response's JSON string (escapes included)
    when loaded from a file, characters otherwise. ``dropped`` counts rows left out at load time by
    reason and ``problems`` lists why (only when loading was not strict).
    """

    source: str
    prompt_ids: tuple[str, ...]
    lines: IntArray
    base: MaskedColumn
    targets: Mapping[str, MaskedColumn]
    judge: MaskedColumn
    oracle: MaskedColumn
    response_length: IntArray
    clusters: IntArray
    cluster_hashes: HashArray
    extras: Mapping[str, tuple[bytes | None, ...]] = attrs.field(factory=dict)
    dropped: Mapping[str, int] = attrs.field(factory=dict)
    problems: tuple[RowProblem, ...] = ()

    def __attrs_post_init__(self) -> None:
        n = len(self.prompt_ids)
        columns = [self.base, self.judge, self.oracle, *self.targets.values()]
        arrays = [self.lines, self.response_length, self.clusters]
        if any(column.values.shape != (n,) for column in columns) or any(a.shape != (n,) for a in arrays):
            raise ValueError("every column must have one entry per row")
        if not self.targets:
            raise ValueError("a dataset needs at least one target policy")
        if n and int(self.clusters.max()) >= self.cluster_hashes.size:
            raise ValueError("a cluster code has no hash")
        present_oracle = self.oracle.values[self.oracle.present]
        present_judge = self.judge.values[self.judge.present]
        for name, values in (("oracle", present_oracle), ("judge", present_judge)):
            if values.size and (values.min() < 0.0 or values.max() > 1.0):
                raise ValueError(f"{name} values must lie in [0, 1]")
        for column in (self.base, *self.targets.values()):
            if np.any(column.values[column.present] > 0.0):
                raise ValueError("log probabilities must be <= 0")

    @classmethod
    def from_arrays(
        cls,
        *,
        prompt_ids: Sequence[str],
        base_log_prob: Sequence[float | None] | MaskedColumn,
        target_log_probs: Mapping[str, Sequence[float | None] | MaskedColumn],
        judge_score: Sequence[float | None] | MaskedColumn | None = None,
        oracle_label: Sequence[float | None] | MaskedColumn | None = None,
        response_length: npt.ArrayLike | None = None,
        source: str = "<arrays>",
    ) -> Dataset:
        """Build a dataset from in-memory columns (``None`` = missing)."""
        n = len(prompt_ids)

        def column(values: Sequence[float | None] | MaskedColumn | None, absent: str) -> MaskedColumn:
            if isinstance(values, MaskedColumn):
                return values
            if values is None:
                return MaskedColumn(
                    values=np.full(n, np.nan), codes=np.ones(n, dtype=np.uint8), reasons=("", absent)
                )
            return MaskedColumn.from_optional(values)

        clusters, hashes = factorize(prompt_ids)
        return cls(
            source=source,
            prompt_ids=tuple(prompt_ids),
            lines=np.arange(1, n + 1, dtype=np.int64),
            base=column(base_log_prob, "absent"),
            targets={name: column(values, "absent") for name, values in target_log_probs.items()},
            judge=column(judge_score, "absent"),
            oracle=column(oracle_label, "not_labelled"),
            response_length=(
                np.zeros(n, dtype=np.int64)
                if response_length is None
                else np.asarray(response_length, dtype=np.int64)
            ),
            clusters=clusters,
            cluster_hashes=hashes,
        )

    @property
    def n_rows(self) -> int:
        """Rows kept (rows dropped at load time are only counted in ``dropped``)."""
        return len(self.prompt_ids)

    @property
    def target_names(self) -> tuple[str, ...]:
        """The target policies, sorted."""
        return tuple(sorted(self.targets))

    @property
    def n_oracle(self) -> int:
        """Rows with an oracle label."""
        return int(self.oracle.present.sum())

    def usable_mask(self, target: str) -> BoolArray:
        """Rows where both the base and ``target`` log probs exist."""
        return self.base.present & self.targets[target].present

    def exclusions(self, target: str) -> Counter[str]:
        """Why rows cannot give ``target`` a weight: base first, then the target's own reason.

        Rows dropped at load time are counted too, as ``bad_row:<kind>``.
        """
        counts: Counter[str] = Counter(
            {f"base_log_prob:{reason}": count for reason, count in self.base.excluded_by_reason().items()}
        )
        target_column = self.targets[target]
        counts.update(
            {
                f"target_log_prob:{reason}": count
                for reason, count in target_column.excluded_by_reason(self.base.present).items()
            }
        )
        counts.update({f"bad_row:{reason}": count for reason, count in self.dropped.items()})
        return counts

    def to_frame(self) -> pd.DataFrame:
        """One row per logged row, a missing cell as ``<NA>`` with its reason beside it (``[pandas]`` extra)."""
        from cje_fp.data._frame import dataset_frame

        return dataset_frame(self)

    def take(self, rows: IntArray | BoolArray) -> Dataset:
        """The dataset restricted to ``rows`` (clusters are recomputed)."""
        prompt_ids = tuple(np.asarray(self.prompt_ids, dtype=object)[rows].tolist())
        clusters, hashes = factorize(prompt_ids)
        return attrs.evolve(
            self,
            prompt_ids=prompt_ids,
            lines=self.lines[rows],
            base=self.base.take(rows),
            targets={name: column.take(rows) for name, column in self.targets.items()},
            judge=self.judge.take(rows),
            oracle=self.oracle.take(rows),
            response_length=self.response_length[rows],
            clusters=clusters,
            cluster_hashes=hashes,
            extras={
                name: tuple(np.asarray(values, dtype=object)[rows].tolist())
                for name, values in self.extras.items()
            },
        )
