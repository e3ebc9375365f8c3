"""The ``Estimator`` protocol: what a registered estimator is, what it receives and what it returns.

An estimator is a value with a ``name`` (its key in the registry, the CLI and
the JSON report), a one-line ``summary`` (the docs), the ``normalisation`` that
decides which overlap gates apply to it, its ``inputs`` (``logged``: the
logged rows only, the pipeline gates them and computes the SE from the run's
influence on them; ``fresh-draws``: it needs ``extra.fresh``, audits itself,
is not subject to the logged-data overlap and missingness gates and returns an
``OwnedRun``, its own value, interval and per-cluster influence), and ``run``,
a pure function of an ``EstimatorContext``. The context carries everything the pipeline prepared
(the rows used as ``TargetArrays``, the dataset and which of its rows they
are, the judge calibration, the configuration, whether the raw weights passed
the gates) and ``extra``, the inputs beyond the logged rows. An estimator that
needs a new kind of input adds an optional field to ``ExtraInputs``;
estimators that do not use it never see the change.

>>> import attrs, numpy as np
>>> from returns.result import Success
>>> @attrs.frozen
... class Mean:
...     name = "mean-reward"
...     summary = "the unweighted mean reward (for illustration)"
...     normalisation = "self-normalised"
...     inputs = "logged"
...     def run(self, context):
...         return Success(EstimatorRun.of(on_policy(context.arrays)))
>>> from cje_fp.estimation.estimators._on_policy import on_policy
>>> isinstance(Mean(), Estimator)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, TypeAlias, final, runtime_checkable

import attrs
from returns.result import Result

from cje_fp.data import BoolArray, Dataset
from cje_fp.estimation._calibration import Calibration
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation._fresh_core import ComponentRun
from cje_fp.estimation._inference import Interval
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays

if TYPE_CHECKING:
    from cje_fp.estimation._config import EstimationConfig
    from cje_fp.estimation._fresh_api import FreshDiagnostics, FreshInputs
    from cje_fp.estimation.estimators._simcal import WeightCalibration


@final
@attrs.frozen(kw_only=True)
class ExtraInputs:
    """Inputs beyond the logged dataset, for the estimators that need them.

    A kind of input is a field here with default ``None``; ``estimate``,
    ``estimate_all`` and ``compare`` pass it through to every estimator, and
    an estimator that needs it refuses when it is None.
    """

    fresh: FreshInputs | None = None
    """Fresh draws (and probe slices) per policy: the ``fresh-draws`` estimators' input."""


@final
@attrs.frozen(kw_only=True, eq=False)
class EstimatorContext:
    """Everything an estimator may use for one target."""

    target: str
    arrays: TargetArrays
    """The rows used, as arrays; ``arrays.log_weights`` are the target's (or, in ``compare``,
    the baseline's) log weights on them."""
    dataset: Dataset
    rows: BoolArray
    """Which rows of ``dataset`` the arrays hold (in order)."""
    calibration: Calibration | None
    """The judge -> oracle map when the rewards are calibrated, else None."""
    config: EstimationConfig
    raw_weights_pass_gates: bool
    """False when the raw weights fail the overlap gates (the estimate will be flagged):
    an estimator must not make them look better (e.g. no weight projection then)."""
    level: float = 0.95
    """The interval's level (for estimators that own their interval)."""
    allow_flagged: bool = False
    """Report a flagged number where the estimator's own gates would refuse."""
    extra: ExtraInputs = ExtraInputs()


@final
@attrs.frozen(kw_only=True, eq=False)
class EstimatorRun:
    """What an estimator computed: the point run, and what it wants reported beside it."""

    point: PointRun
    weight_calibration: WeightCalibration | None = None
    """Set by estimators that calibrate the weights (``calibrated-ips``)."""
    warnings: tuple[str, ...] = ()
    """Notes for the estimate's gate status (e.g. "weight calibration skipped")."""

    @staticmethod
    def of(point: PointRun) -> EstimatorRun:
        """A run that reports nothing beside its point."""
        return EstimatorRun(point=point)


EstimatorInputs: TypeAlias = Literal["logged", "fresh-draws"]
"""What an estimator reads: the logged rows only, or fresh draws too (see the module docstring)."""


@final
@attrs.frozen(kw_only=True, eq=False)
class OwnedRun:
    """What a ``fresh-draws`` estimator computed: its value, its own interval and what it reports.

    ``run`` carries the influence per cluster in named parts (draws, oracle labels,
    probe rows) on clusters shared by every policy of one ``FreshInputs``, so two
    policies' runs pair by cluster (``compare``).
    """

    run: ComponentRun
    interval: Interval
    n_used: int
    """Fresh draws used."""
    n_clusters: int
    """Prompts with draws."""
    diagnostics: FreshDiagnostics
    warnings: tuple[str, ...] = ()
    flagged: bool = False

    @property
    def value(self) -> float:
        """The point estimate."""
        return self.run.value


@runtime_checkable
class Estimator(Protocol):
    """A registered estimator (one module of ``cje_fp.estimation.estimators`` each)."""

    @property
    def name(self) -> str:
        """Its registry name, e.g. ``clipped-ips`` (the module name with ``-`` for ``_``)."""
        ...

    @property
    def summary(self) -> str:
        """One line for the docs and the report."""
        ...

    @property
    def normalisation(self) -> WeightNormalisation:
        """Whether it divides by the weights' sum or by n (unnormalised ones have one gate more)."""
        ...

    @property
    def inputs(self) -> EstimatorInputs:
        """``logged`` or ``fresh-draws`` (which returns an ``OwnedRun`` and is not gated on logged overlap)."""
        ...

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun | OwnedRun, EstimationError]:
        """The point run, or why there is none (the pipeline names the target in the error)."""
        ...


@runtime_checkable
class Chooser(Protocol):
    """A registered name that stands for other estimators (``auto``), chosen by whether fresh draws exist."""

    @property
    def name(self) -> str:
        """Its registry name."""
        ...

    @property
    def summary(self) -> str:
        """One line for the docs."""
        ...

    def choose(self, fresh_draws: bool, /) -> tuple[str, ...]:
        """The registered estimators it stands for, the preferred one first."""
        ...
