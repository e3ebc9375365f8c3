"""``validated``: check inputs before a policy call and its output after.

>>> from returns.result import Success
>>> from cje_fp.policy._protocol import FunctionPolicy
>>> def positive(context: str, response: str) -> Result[float, LogProbError]:
...     return Success(0.25)
>>> policy = validated(FunctionPolicy(name="bad", call=positive))
>>> policy.compute_log_prob("ctx", "  ")
<Failure: InvalidInput(field='response', reason='is empty or whitespace')>
>>> policy.compute_log_prob("ctx", "ok")
<Failure: InvalidLogProb(value=0.25)>
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from returns.result import Failure, Result, Success

from cje_fp.errors import InvalidInput, InvalidLogProb, LogProbError, sealed
from cje_fp.policy._protocol import (
    AnyPolicyT,
    AsyncCall,
    BatchCall,
    CallTransform,
    LogProbResult,
    SyncCall,
    transform_policy,
)
from cje_fp.policy._retry_counts import counting_subset


def _text_problem(field: str, value: object) -> InvalidInput | None:
    if not isinstance(value, str):
        return InvalidInput(field=field, reason=f"expected str, got {type(value).__name__}")
    if not value or value.isspace():  # ``not value.strip()`` without copying the text
        return InvalidInput(field=field, reason="is empty or whitespace")
    return None


_VALID: Final[Result[None, LogProbError]] = Success(None)


def input_problem(context: object, response: object) -> InvalidInput | None:
    """The first problem with the texts, if any (``check_inputs`` without a container)."""
    return _text_problem("context", context) or _text_problem("response", response)


def check_inputs(context: object, response: object) -> Result[None, LogProbError]:
    """Both texts valid, or the first problem found."""
    problem = input_problem(context, response)
    return Failure(problem) if problem is not None else _VALID


def check_log_prob(value: float) -> LogProbResult:
    """A finite value <= 0, or ``InvalidLogProb``.

    >>> check_log_prob(float("nan"))
    <Failure: InvalidLogProb(value=nan)>
    """
    if math.isfinite(value) and value <= 0.0:
        return Success(value)
    return Failure(InvalidLogProb(value=value))


def check_output(result: LogProbResult) -> LogProbResult:
    """``result`` itself if it is a failure or a valid log prob, else ``InvalidLogProb``."""
    match sealed(result):
        case Success(value) if not (math.isfinite(value) and value <= 0.0):
            return Failure(InvalidLogProb(value=value))
        case _:
            return result


def _validate_sync(name: str, call: SyncCall) -> SyncCall:
    def validated_call(context: str, response: str) -> LogProbResult:
        match sealed(check_inputs(context, response)):
            case Success(_):
                return check_output(call(context, response))
            case Failure(error):
                return Failure(error)

    return validated_call


def _validate_async(name: str, call: AsyncCall) -> AsyncCall:
    async def validated_call(context: str, response: str) -> LogProbResult:
        match sealed(check_inputs(context, response)):
            case Success(_):
                return check_output(await call(context, response))
            case Failure(error):
                return Failure(error)

    return validated_call


def _validate_batch(name: str, call: BatchCall) -> BatchCall:
    async def validated_calls(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
        problems = [input_problem(context, response) for context, response in pairs]
        valid = [index for index, problem in enumerate(problems) if problem is None]
        if len(valid) == len(pairs):
            return [check_output(result) for result in await call(pairs)]
        results: list[LogProbResult] = [Failure(problem) for problem in problems if problem is not None]
        if not valid:
            return results
        with counting_subset(valid, len(pairs)):  # the valid cells' retries, at their positions
            answered = await call([pairs[index] for index in valid])
        if len(answered) != len(valid):
            raise RuntimeError(f"{len(answered)} results for {len(valid)} cells")
        merged: list[LogProbResult] = []
        answers, failures = iter(answered), iter(results)
        for problem in problems:
            merged.append(check_output(next(answers)) if problem is None else next(failures))
        return merged

    return validated_calls


_VALIDATE = CallTransform(sync=_validate_sync, async_=_validate_async, batch=_validate_batch)


def validated(policy: AnyPolicyT) -> AnyPolicyT:
    """Reject empty or non-str inputs before the call, and any output that is
    NaN, infinite or positive after it. Failures pass through unchanged."""
    return transform_policy(policy, _VALIDATE)
