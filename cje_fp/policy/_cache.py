"""``cached``: remember successful log probs by (policy name, context, response).

Only successes are cached: a failure is retried by the next call, never replayed.

>>> from returns.result import Success
>>> from cje_fp.policy._protocol import FunctionPolicy
>>> calls = []
>>> def counted(context: str, response: str) -> LogProbResult:
...     calls.append(response)
...     return Success(-1.0)
>>> policy = cached(FunctionPolicy(name="p", call=counted))
>>> policy.compute_log_prob("q", "a"), policy.compute_log_prob("q", "a")
(<Success: -1.0>, <Success: -1.0>)
>>> calls
['a']
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import attrs
from returns.result import Success

from cje_fp.errors import sealed
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

CacheKey = tuple[str, str, str]



@attrs.define
class SuccessCache:
    """A thread-safe map from (policy, context, response) to a log prob, LRU-bounded."""

    max_entries: int | None = None
    _entries: OrderedDict[CacheKey, float] = attrs.field(factory=OrderedDict)
    _lock: threading.Lock = attrs.field(factory=threading.Lock)

    def get(self, key: CacheKey) -> float | None:
        """The cached value, if any."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None and self.max_entries is not None:
                self._entries.move_to_end(key)
            return value

    def remember(self, key: CacheKey, result: LogProbResult) -> LogProbResult:
        """Store ``result`` if it is a success; return it unchanged."""
        match sealed(result):
            case Success(value):
                with self._lock:
                    self._entries[key] = value
                    if self.max_entries is not None and len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
            case _:
                pass
        return result

    def __len__(self) -> int:
        return len(self._entries)

    def transform(self) -> CallTransform:
        """The call transform that reads and fills this cache."""
        return CallTransform(sync=self._wrap_sync, async_=self._wrap_async, batch=self._wrap_batch)

    def _wrap_sync(self, name: str, call: SyncCall) -> SyncCall:
        def cached_call(context: str, response: str) -> LogProbResult:
            key = (name, context, response)
            hit = self.get(key)
            if hit is not None:
                return Success(hit)
            return self.remember(key, call(context, response))

        return cached_call

    def _wrap_async(self, name: str, call: AsyncCall) -> AsyncCall:
        async def cached_call(context: str, response: str) -> LogProbResult:
            key = (name, context, response)
            hit = self.get(key)
            if hit is not None:
                return Success(hit)
            return self.remember(key, await call(context, response))

        return cached_call

    def _wrap_batch(self, name: str, call: BatchCall) -> BatchCall:
        async def cached_calls(pairs: Sequence[tuple[str, str]]) -> list[LogProbResult]:
            hits = [self.get((name, context, response)) for context, response in pairs]
            missing = [index for index, hit in enumerate(hits) if hit is None]
            answered: list[LogProbResult] = []
            if missing:
                with counting_subset(missing, len(pairs)):  # retries inside, at their own positions
                    answered = await call([pairs[index] for index in missing])
                if len(answered) != len(missing):
                    raise RuntimeError(f"{len(answered)} results for {len(missing)} cells")
            computed = iter(answered)
            return [
                Success(hit) if hit is not None else self.remember((name, *pair), next(computed))
                for pair, hit in zip(pairs, hits, strict=True)
            ]

        return cached_calls


def cached(policy: AnyPolicyT, *, cache: SuccessCache | None = None) -> AnyPolicyT:
    """Serve repeated (context, response) pairs from ``cache`` (a fresh one by default)."""
    return transform_policy(policy, (cache if cache is not None else SuccessCache()).transform())
