"""The fake server's configuration, its counters, and the fault bookkeeping behind markers."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterable, Mapping

import attrs

from cje_fp.testing._markers import MARKER, content_fault, fault_spec


def _rates(rates: Mapping[str, float] | Iterable[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    """Content-fault rates as sorted (fault, share) pairs, checked."""
    pairs = tuple(sorted(dict(rates).items()))
    for spec, rate in pairs:
        fault_spec(spec)
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"content fault {spec!r}: the share of prompts must be in [0, 1], got {rate}")
    if sum(rate for _, rate in pairs) > 1.0:
        raise ValueError("content fault shares add up to more than 1")
    return pairs


@attrs.frozen(kw_only=True)
class FakeServerConfig:
    """How the fake server behaves everywhere (per-prompt faults use markers, or ``content_faults``).

    ``content_faults`` maps a fault (``kind`` or ``kind*N``) to the share of prompts
    that draw it; which prompts do is decided by their text and ``fault_seed`` alone
    (``cje_fp.testing._markers.content_fault``), as if they carried the marker.
    """

    models: tuple[str, ...] = ("fake-model",)
    api_key: str | None = attrs.field(default=None, repr=False)
    latency: float = 0.0
    retry_after: str = "1"
    hang_seconds: float = 30.0
    generated_only: bool = False
    text_offset: bool = True
    top_logprobs: bool = True
    noise: float = 0.0
    max_prompt_tokens: int | None = None
    #: Answer 429 (with ``retry_after``) to a request arriving while this many are in flight.
    capacity: int | None = None
    single_prompt: bool = False
    """Answer a request carrying a list of several prompts with a 500, as llama.cpp's server does."""
    content_faults: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_rates)
    fault_seed: int = 0
    revision: str = ""
    """The weights' version: another revision serves the same model names with other log probs
    (``expected_log_prob(..., model=name + revision)`` gives them)."""


@attrs.frozen(kw_only=True)
class ServerStats:
    """What the server has seen."""

    requests: int
    prompts: int
    in_flight: int
    max_in_flight: int
    statuses: Mapping[int, int]


class ServerState:
    """Counters and fault bookkeeping (updated on the server's loop only)."""

    def __init__(self, config: FakeServerConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.requests = 0
        self.prompts = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.statuses: Counter[int] = Counter()
        self.fault_counts: Counter[tuple[str, str]] = Counter()
        self.stopping: asyncio.Event | None = None

    def stats(self) -> ServerStats:
        with self.lock:
            return ServerStats(
                requests=self.requests,
                prompts=self.prompts,
                in_flight=self.in_flight,
                max_in_flight=self.max_in_flight,
                statuses=dict(self.statuses),
            )

    def reset(self) -> None:
        with self.lock:
            self.requests = self.prompts = self.max_in_flight = 0
            self.statuses.clear()
            self.fault_counts.clear()

    def faults(self, prompt: str, kinds: frozenset[str]) -> list[str]:
        """The faults of ``kinds`` that fire for this request carrying ``prompt``."""
        fired = []
        drawn = content_fault(prompt, self.config.content_faults, self.config.fault_seed)
        for kind, times in [*MARKER.findall(prompt), *([drawn] if drawn is not None else [])]:
            if kind not in kinds:
                continue
            with self.lock:
                self.fault_counts[(kind, prompt)] += 1
                count = self.fault_counts[(kind, prompt)]
            if not times or count <= int(times):
                fired.append(kind)
        return fired
