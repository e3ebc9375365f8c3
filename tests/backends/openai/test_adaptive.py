"""Adaptive concurrency against a server with a capacity: AIMD per endpoint converges near it,
every cell comes back exact, and fewer requests are turned away than with a fixed limit."""

from __future__ import annotations

import logging

import attrs
import pytest
from returns.result import Success

from cje_fp.backends.openai import OpenAICompatiblePolicy
from cje_fp.policy import retrying
from cje_fp.scoring import BatchResult, MultiTargetSampler, Sample
from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob

CAPACITY = 6
CEILING = 48
KEY_ENV = "CJE_FP_ADAPTIVE_TEST_KEY"
CANARY = "sk-adaptive-canary-4f1e9b"
MODELS = ("m", "n")


@attrs.frozen(kw_only=True)
class Outcome:
    batch: BatchResult
    turned_away: int
    limits: tuple[int, ...]


def _score(samples: list[Sample], *, adaptive: bool, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    monkeypatch.setenv(KEY_ENV, CANARY)
    config = FakeServerConfig(models=MODELS, latency=0.02, capacity=CAPACITY, retry_after="0.05", api_key=CANARY)
    with FakeServer(config) as server:
        policies = [
            OpenAICompatiblePolicy(
                name=model, base_url=server.base_url, model=model, api_key_env=KEY_ENV,
                max_in_flight=CEILING, adaptive_concurrency=adaptive,
            )
            for model in MODELS
        ]
        sampler = MultiTargetSampler(
            policies=[retrying(policy, max_attempts=200, deadline=300.0, max_retry_after=1.0) for policy in policies],
            base_policy_name="m",
            max_concurrency=2 * CEILING,
        )
        batch = sampler.process_batch(samples)
        limits = tuple(policy.in_flight_limit for policy in policies)
        for policy in policies:
            policy.close()
        stats = server.stats()
    assert stats.max_in_flight <= CAPACITY  # the server's own promise
    return Outcome(batch=batch, turned_away=stats.statuses.get(429, 0), limits=limits)


def test_aimd_converges_near_the_capacity_and_turns_fewer_requests_away(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    samples = [Sample(sample_id=f"s{i}", context=f"Question {i}?", response=f" Answer {i}.") for i in range(150)]
    adaptive = _score(samples, adaptive=True, monkeypatch=monkeypatch)
    fixed = _score(samples, adaptive=False, monkeypatch=monkeypatch)
    for outcome in (adaptive, fixed):
        # No cell lost, none fabricated: every one is the server's exact answer.
        assert outcome.batch.accounting().succeeded == len(samples) * len(MODELS)
        for sample, result in zip(samples, outcome.batch.results, strict=True):
            for model in MODELS:
                expected = expected_log_prob(sample.context, sample.response, model=model)
                assert result.log_probs[model] == Success(expected)
    # Two policies share the server, and its window: it settles near the capacity, far under
    # their ceilings; a fixed limit stays at the ceiling and is turned away far more.
    assert all(CAPACITY // 2 <= limit <= 2 * CAPACITY for limit in adaptive.limits)
    assert fixed.limits == (CEILING, CEILING)
    assert adaptive.turned_away < fixed.turned_away / 2
    assert adaptive.batch.retries_used < fixed.batch.retries_used
    assert CANARY not in caplog.text
