"""``TabularPolicy``: an exact, in-process policy over a finite table.

For simulations with known truth and for tests: each context has a finite set
of responses with given log probabilities (summing to at most one).

>>> policy = TabularPolicy(
...     name="coin", table={"flip": {"heads": math.log(0.5), "tails": math.log(0.5)}}
... )
>>> policy.compute_log_prob("flip", "heads")
<Success: -0.6931471805599453>
>>> policy.compute_log_prob("flip", "edge")
<Failure: InvalidInput(field='response', reason='outside the support of coin')>
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs
import numpy as np
import numpy.typing as npt
from returns.result import Failure, Success

from cje_fp.errors import InvalidInput
from cje_fp.policy import LogProbResult

Table = Mapping[str, Mapping[str, float]]

#: How far above zero a context's total log probability may round.
_TOTAL_TOLERANCE = 1e-9


def _freeze(table: Table) -> dict[str, dict[str, float]]:
    return {context: dict(responses) for context, responses in table.items()}


def _check_table(instance: object, attribute: object, table: dict[str, dict[str, float]]) -> None:
    for context, responses in table.items():
        if not responses:
            raise ValueError(f"context {context!r} has no responses")
        values = np.fromiter(responses.values(), dtype=np.float64)
        bad = [r for r, v in responses.items() if not (math.isfinite(v) and v <= 0.0)]
        if bad:
            raise ValueError(
                f"context {context!r}: log probs must be finite and <= 0 (response {bad[0]!r})"
            )
        peak = float(values.max())
        total = peak + math.log(float(np.exp(values - peak).sum()))
        if total > _TOTAL_TOLERANCE:
            raise ValueError(
                f"context {context!r}: probabilities sum to {math.exp(total):.6g} > 1"
            )


@attrs.frozen(kw_only=True, eq=False)
class TabularPolicy:
    """Exact log probs read from ``table[context][response]``.

    A context or response outside the table is an ``InvalidInput`` failure
    (the policy cannot score it), never a made-up number.
    """

    name: str
    table: dict[str, dict[str, float]] = attrs.field(converter=_freeze, validator=_check_table)

    def compute_log_prob(self, context: str, response: str) -> LogProbResult:
        """The tabled log prob of ``response`` given ``context``."""
        responses = self.table.get(context)
        if responses is None:
            return Failure(InvalidInput(field="context", reason=f"not in table of {self.name}"))
        value = responses.get(response)
        if value is None:
            return Failure(
                InvalidInput(field="response", reason=f"outside the support of {self.name}")
            )
        return Success(value)

    async def compute_log_prob_async(self, context: str, response: str) -> LogProbResult:
        """The same as ``compute_log_prob``, awaitable."""
        return self.compute_log_prob(context, response)

    def responses(self, context: str) -> tuple[str, ...]:
        """The responses ``context`` can produce, in table order."""
        return tuple(self.table[context])

    def probabilities(self, context: str) -> npt.NDArray[np.float64]:
        """The probabilities of ``responses(context)``, in the same order."""
        return np.exp(np.fromiter(self.table[context].values(), dtype=np.float64))

    def sample(self, context: str, rng: np.random.Generator) -> str:
        """Draw a response for ``context`` (probabilities renormalised to one)."""
        probabilities = self.probabilities(context)
        index = int(rng.choice(len(probabilities), p=probabilities / probabilities.sum()))
        return self.responses(context)[index]
