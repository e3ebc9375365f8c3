"""Make any policy fail deterministically, by seed, with chosen kinds and rates.

Each (policy, context, response) key draws a number in [0, 1) from a hash of
the seed; the faults' rates partition that interval. A fault with ``times=k``
fails the first ``k`` calls of its keys (a transient blip a retry can
outlast); ``times=None`` fails every call. An ``Exception`` outcome is raised,
to test what happens when a backend crashes.

>>> import math
>>> from cje_fp.backends._tabular import TabularPolicy
>>> from cje_fp.errors._log_prob import Timeout
>>> plan = FaultPlan(faults=(Fault(outcome=Timeout(), rate=1.0, times=1),), seed=7)
>>> policy = inject_faults(TabularPolicy(name="p", table={"q": {"a": -1.0}}), plan)
>>> policy.compute_log_prob("q", "a"), policy.compute_log_prob("q", "a")
(<Failure: Timeout(seconds=None, request_hash='')>, <Success: -1.0>)
>>> plan.call_count("p", "q", "a")
2
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Iterable

import attrs
from returns.result import Failure

from cje_fp.errors import LogProbError
from cje_fp.policy._protocol import (
    AnyPolicyT,
    AsyncCall,
    CallTransform,
    LogProbResult,
    SyncCall,
    transform_policy,
)

FaultKey = tuple[str, str, str]


@attrs.frozen(kw_only=True)
class Fault:
    """Fail a fraction ``rate`` of keys with ``outcome`` for their first ``times`` calls."""

    outcome: LogProbError | Exception
    rate: float = attrs.field(validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])
    times: int | None = None


def _fault_tuple(faults: Iterable[Fault]) -> tuple[Fault, ...]:
    return tuple(faults)


def _rates_sum_to_at_most_one(instance: FaultPlan, attribute: object, faults: tuple[Fault, ...]) -> None:
    total = sum(fault.rate for fault in faults)
    if total > 1.0 + 1e-12:
        raise ValueError(f"fault rates sum to {total} > 1")


@attrs.define(kw_only=True)
class FaultPlan:
    """Which keys fail how, plus a count of the calls each key received."""

    faults: tuple[Fault, ...] = attrs.field(converter=_fault_tuple, validator=_rates_sum_to_at_most_one)
    seed: int
    _calls: Counter[FaultKey] = attrs.field(factory=Counter, init=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)

    def draw(self, policy: str, context: str, response: str) -> float:
        """The key's deterministic number in [0, 1)."""
        text = "\x00".join((str(self.seed), policy, context, response)).encode("utf-8", "surrogatepass")
        digest = hashlib.blake2b(text, digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2.0**64

    def fault_for(self, policy: str, context: str, response: str) -> Fault | None:
        """The fault assigned to the key, if any (whatever the call count)."""
        draw = self.draw(policy, context, response)
        upper = 0.0
        for fault in self.faults:
            upper += fault.rate
            if draw < upper:
                return fault
        return None

    def call_count(self, policy: str, context: str, response: str) -> int:
        """How many calls the key has received."""
        with self._lock:
            return self._calls[(policy, context, response)]

    def _next_call(self, key: FaultKey) -> int:
        with self._lock:
            self._calls[key] += 1
            return self._calls[key]

    def _injected(self, key: FaultKey) -> LogProbResult | None:
        call_number = self._next_call(key)
        fault = self.fault_for(*key)
        if fault is None or (fault.times is not None and call_number > fault.times):
            return None
        if isinstance(fault.outcome, Exception):
            raise fault.outcome
        return Failure(fault.outcome)

    def transform(self) -> CallTransform:
        """The call transform that injects this plan's faults."""

        def wrap_sync(name: str, call: SyncCall) -> SyncCall:
            def faulty_call(context: str, response: str) -> LogProbResult:
                injected = self._injected((name, context, response))
                return call(context, response) if injected is None else injected

            return faulty_call

        def wrap_async(name: str, call: AsyncCall) -> AsyncCall:
            async def faulty_call(context: str, response: str) -> LogProbResult:
                injected = self._injected((name, context, response))
                return await call(context, response) if injected is None else injected

            return faulty_call

        return CallTransform(sync=wrap_sync, async_=wrap_async)


def inject_faults(policy: AnyPolicyT, plan: FaultPlan) -> AnyPolicyT:
    """``policy`` with ``plan``'s faults injected before each call."""
    return transform_policy(policy, plan.transform())
