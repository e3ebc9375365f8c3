"""``auto``: the default choice, stacked-dr when fresh draws are given, else calibrated-ips.

A chooser, not an estimator: ``lookup_estimator("auto", fresh_draws=...)``
gives the estimator it stands for, and the command line runs every name of
``choose`` (without fresh draws it reports SNIPS beside calibrated IPS).
"""

from __future__ import annotations

from typing import ClassVar, Final, final

import attrs

from cje_fp.estimation.estimators._protocol import Chooser

__all__ = ["ESTIMATOR", "Auto"]


@final
@attrs.frozen
class Auto:
    """stacked-dr with fresh draws, else calibrated-ips (and snips beside it)."""

    name: ClassVar[str] = "auto"
    summary: ClassVar[str] = (
        "the default: stacked-dr when fresh draws are given, else calibrated-ips (the command line reports "
        "snips beside it)"
    )

    def choose(self, fresh_draws: bool, /) -> tuple[str, ...]:
        """The estimators ``auto`` stands for, the preferred one first."""
        return ("stacked-dr",) if fresh_draws else ("calibrated-ips", "snips")


ESTIMATOR: Final[Chooser] = Auto()
