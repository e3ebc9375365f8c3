"""The ``Estimator`` protocol: what a registered estimator is, what it receives and what it returns.

An estimator is a value with a ``name`` (its key in the registry, the CLI and
the JSON report), a one-line ``summary`` (the docs), the ``normalisation`` that
decides which overlap gates apply to it, and ``run``, a pure function of an
``EstimatorContext``. The context carries everything the pipeline prepared
(the rows used as ``TargetArrays``, the dataset and which of its rows they
are, the judge calibration, the configuration, whether the raw weights passed
the gates) and ``extra``, the inputs beyond the logged rows. An estimator that
needs a new kind of input (fresh draws, say) adds an optional field to
``ExtraInputs``; estimators that do not use it never see the change.

>>> import attrs, numpy as np
>>> from returns.result import Success
>>> @attrs.frozen
... class Mean:
...     name = "mean-reward"
...     summary = "the unweighted mean reward (for illustration)"
...     normalisation = "self-normalised"
...     def run(self, context):
...         return Success(EstimatorRun.of(on_policy(context.arrays)))
>>> from cje_fp.estimation.estimators._on_policy import on_policy
>>> isinstance(Mean(), Estimator)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, final, runtime_checkable

import attrs
from returns.result import Result

from cje_fp.data import BoolArray, Dataset
from cje_fp.estimation._calibration import Calibration
from cje_fp.estimation._errors import EstimationError
from cje_fp.estimation.diagnostics import WeightNormalisation
from cje_fp.estimation.estimators._arrays import PointRun, TargetArrays

if TYPE_CHECKING:
    from cje_fp.estimation._config import EstimationConfig
    from cje_fp.estimation.estimators._simcal import WeightCalibration


@final
@attrs.frozen(kw_only=True)
class ExtraInputs:
    """Inputs beyond the logged dataset, for the estimators that need them.

    Empty so far: every registered estimator uses only the logged rows. A new
    kind of input is a new field here with default ``None``; ``estimate``,
    ``estimate_all`` and ``compare`` pass it through to every estimator, and
    an estimator that needs it refuses (``InvalidOption``) when it is None.
    """


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

    def run(self, context: EstimatorContext, /) -> Result[EstimatorRun, EstimationError]:
        """The point run, or why there is none (the pipeline names the target in the error)."""
        ...
