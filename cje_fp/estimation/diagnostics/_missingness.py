"""The missingness check: do the rows a target cannot use differ from the rows it uses?

Rows without a weight are compared with the rows used on judge score and
response length (Mann-Whitney p-value and standardised mean difference): warn
when p < 0.01 and |SMD| >= 0.1; refuse when p < 0.001 and |SMD| >= 0.5 (the
thresholds live in ``GateThresholds``).

>>> import numpy as np
>>> from cje_fp.estimation.diagnostics._gates import GateThresholds
>>> excluded = np.arange(100) < 20
>>> check = missingness_check(excluded, np.linspace(0.0, 1.0, 100), np.ones(100, bool), np.ones(100), GateThresholds())
>>> check.tested, check.status.level
(True, 'refuse')
"""

from __future__ import annotations

import math
from typing import final

import attrs
import numpy as np
from scipy.stats import mannwhitneyu

from cje_fp.data import BoolArray, FloatArray
from cje_fp.estimation.diagnostics._gates import GateStatus, GateThresholds


@final
@attrs.frozen(kw_only=True)
class Association:
    """How a variable differs between excluded and used rows."""

    variable: str
    mean_used: float
    mean_excluded: float
    smd: float
    """(mean excluded - mean used) / pooled standard deviation; 0 when both are constant."""
    p_value: float
    """Two-sided Mann-Whitney U test (asymptotic)."""


@final
@attrs.frozen(kw_only=True)
class MissingnessCheck:
    """Whether losing rows for this target is associated with judge score or response length."""

    n_used: int
    n_excluded: int
    associations: tuple[Association, ...]
    status: GateStatus
    tested: bool
    """False when too few rows were excluded to test (the status then says so)."""


def _associate(variable: str, values: FloatArray, excluded: BoolArray) -> Association | None:
    used_values, excluded_values = values[~excluded], values[excluded]
    if used_values.size < 2 or excluded_values.size < 2:
        return None
    pooled = math.sqrt((used_values.var(ddof=1) + excluded_values.var(ddof=1)) / 2.0)
    difference = float(excluded_values.mean() - used_values.mean())
    smd = difference / pooled if pooled > 0 else 0.0
    constant = np.ptp(values) == 0.0
    p_value = 1.0 if constant else float(
        mannwhitneyu(excluded_values, used_values, alternative="two-sided", method="asymptotic").pvalue
    )
    return Association(
        variable=variable,
        mean_used=float(used_values.mean()),
        mean_excluded=float(excluded_values.mean()),
        smd=smd,
        p_value=p_value,
    )


def missingness_check(
    excluded: BoolArray,
    judge: FloatArray,
    judge_present: BoolArray,
    response_length: FloatArray,
    thresholds: GateThresholds,
) -> MissingnessCheck:
    """Test whether the excluded rows differ from the used ones (judge score, response length)."""
    n_excluded = int(excluded.sum())
    n_used = int(excluded.size - n_excluded)
    if n_excluded < thresholds.missingness_min_excluded:
        note = () if n_excluded == 0 else (
            f"{n_excluded} excluded row(s): too few to test whether exclusion is informative",
        )
        return MissingnessCheck(
            n_used=n_used, n_excluded=n_excluded, associations=(), status=GateStatus(warnings=note), tested=False
        )
    candidates = (
        _associate("judge_score", judge[judge_present], excluded[judge_present]),
        _associate("response_length", response_length, excluded),
    )
    associations = tuple(association for association in candidates if association is not None)
    refusals: list[str] = []
    warnings: list[str] = []
    for association in associations:
        message = (
            f"excluded rows differ in {association.variable}: mean {association.mean_excluded:.3g} vs "
            f"{association.mean_used:.3g} used (SMD {association.smd:+.2f}, p={association.p_value:.2g})"
        )
        strength = abs(association.smd)
        if association.p_value < thresholds.missingness_refuse_p and strength >= thresholds.missingness_refuse_smd:
            refusals.append(message)
        elif association.p_value < thresholds.missingness_warn_p and strength >= thresholds.missingness_warn_smd:
            warnings.append(message)
    return MissingnessCheck(
        n_used=n_used,
        n_excluded=n_excluded,
        associations=associations,
        status=GateStatus(refusals=tuple(refusals), warnings=tuple(warnings)),
        tested=True,
    )
