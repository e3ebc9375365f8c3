"""``doctor``: probe reports for healthy, llama.cpp-like, noisy and broken endpoints."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from cje_fp.backends.openai._doctor import PROBE_CONTEXT, PROBE_RESPONSE, DoctorReport, doctor, doctor_async
from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.testing import FakeServer, FakeServerConfig, fault_marker


def probe(
    config: FakeServerConfig, *, model: str = "m", context: str = PROBE_CONTEXT, response: str = PROBE_RESPONSE
) -> DoctorReport:
    with FakeServer(config) as server:
        with OpenAICompatiblePolicy(name="p", base_url=server.base_url, model=model, timeout=5.0) as policy:
            return doctor(policy, context=context, response=response)


def check(report: DoctorReport, name: str) -> tuple[bool, str]:
    found = [c for c in report.checks if c.name == name]
    assert len(found) == 1, report.summary()
    return found[0].passed, found[0].detail


@pytest.fixture
def healthy() -> Iterator[FakeServerConfig]:
    yield FakeServerConfig(models=("m",))


def test_a_healthy_server_is_usable(healthy: FakeServerConfig) -> None:
    report = probe(healthy)
    assert report.usable and report.problems == ()
    assert report.first_token_null is True and report.noise_floor == 0.0
    assert [c.name for c in report.checks] == [
        "reachable", "prompt_logprobs", "counts_align", "values_valid", "boundary", "repeatable",
        "generation", "aligned", "non_ascii", "batching", "temperature",
    ]
    assert all(check.passed for check in report.checks), report.summary()
    assert report.temperature_semantics == "raw"
    assert "response tokens, found by text_offset" in check(report, "boundary")[1]
    assert report.summary().splitlines()[0].endswith("usable")


def test_generated_only_logprobs_are_detected_and_refused() -> None:
    report = probe(FakeServerConfig(models=("m",), generated_only=True))
    assert not report.usable
    passed, detail = check(report, "prompt_logprobs")
    assert not passed and "llama.cpp" in detail
    assert "REFUSED" in report.summary()


def test_noise_between_identical_requests_is_reported_but_not_refused() -> None:
    report = probe(FakeServerConfig(models=("m",), noise=0.01))
    assert report.usable
    assert report.noise_floor is not None and 0.0 < report.noise_floor <= 0.01
    assert check(report, "repeatable")[0] is False


def test_an_unreachable_model_or_bad_values_are_refused(healthy: FakeServerConfig) -> None:
    missing = probe(healthy, model="other")
    assert not missing.usable and "model_not_found" in check(missing, "reachable")[1]
    nan = probe(healthy, context="Q" + fault_marker("nan") + ":")
    assert not nan.usable and "invalid_log_prob" in check(nan, "values_valid")[1]
    no_logprobs = probe(healthy, context="Q" + fault_marker("missing_logprobs") + ":")
    assert not no_logprobs.usable and "missing logprobs" in check(no_logprobs, "prompt_logprobs")[1]
    short = probe(healthy, context="Q" + fault_marker("short_logprobs") + ":")
    assert not short.usable and "entries for" in check(short, "counts_align")[1]


def test_a_boundary_inside_a_token_fails_the_boundary_check(healthy: FakeServerConfig) -> None:
    report = probe(healthy, context="Hello wor", response="ld")
    assert not report.usable and "boundary_spans_token" in check(report, "boundary")[1]


def test_the_async_form_runs_inside_a_loop(healthy: FakeServerConfig) -> None:
    async def run(base_url: str) -> DoctorReport:
        async with OpenAICompatiblePolicy(name="p", base_url=base_url, model="m", template="chatml") as policy:
            return await doctor_async(policy)

    with FakeServer(healthy) as server:
        report = asyncio.run(run(server.base_url))
    assert report.usable and report.template_id is not None and report.template_id.startswith("chatml@")
