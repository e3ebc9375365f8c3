"""``OpenAICompatiblePolicy`` against the fake server on 127.0.0.1: values, every fault,
retries, Retry-After, the in-flight bound, batching, accounting, and the API key."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import math
import secrets
import threading
import time
import warnings
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import pytest
from returns.result import Failure, Success

from cje_fp import sealed
from cje_fp.backends.openai._completions import encode_request, request_payload
from cje_fp.backends.openai._http_errors import request_hash
from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.errors._log_prob import (
    BadRequest,
    ConnectionFailed,
    HttpDetail,
    InvalidInput,
    InvalidLogProb,
    LogProbError,
    MalformedResponse,
    ModelNotFound,
    PolicyCrashed,
    RateLimited,
    RetriesExhausted,
    ServerError,
    Timeout,
    TokenBoundaryError,
    TokenLimitExceeded,
    Unauthorized,
)
from cje_fp.policy._protocol import DualPolicy, LogProbResult
from cje_fp.policy._retry import retrying
from cje_fp.scoring import MultiTargetSampler
from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob, fault_marker
from tests.conftest import error_of, value_of

MODELS = ("m", "m2")
QUESTION, ANSWER = "Question: what is 2+2?\nAnswer:", " It is 4."


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=MODELS)) as running:
        yield running


def make_policy(server: FakeServer, **options: object) -> OpenAICompatiblePolicy:
    settings: dict[str, object] = {"name": "p", "model": "m", "timeout": 5.0, **options}
    return OpenAICompatiblePolicy(base_url=server.base_url, **settings)  # type: ignore[arg-type]  # test helper forwards keywords


def score_all(policy: OpenAICompatiblePolicy, pairs: list[tuple[str, str]]) -> list[LogProbResult]:
    """Score ``pairs`` concurrently on a fresh event loop."""

    async def run() -> list[LogProbResult]:
        return list(await asyncio.gather(*(policy.compute_log_prob_async(c, r) for c, r in pairs)))

    return asyncio.run(run())


def test_both_conventions_return_the_exact_log_prob(server: FakeServer) -> None:
    expected = expected_log_prob(QUESTION, ANSWER, model="m")
    with make_policy(server) as policy:
        assert isinstance(policy, DualPolicy)
        assert value_of(policy.compute_log_prob(QUESTION, ANSWER)) == expected
        assert value_of(score_all(policy, [(QUESTION, ANSWER)])[0]) == expected
        assert value_of(asyncio.run(policy.score_async(QUESTION, ANSWER))).method == "text_offset"


@pytest.mark.parametrize("quirk", ["no_offsets", "bytes_tokens", "bos"])
def test_server_quirks_that_keep_the_exact_answer(server: FakeServer, quirk: str) -> None:
    context = f"Quirk {fault_marker(quirk)} – café:"
    with make_policy(server, max_tokens=1) as policy:
        assert value_of(policy.compute_log_prob(context, " crème brûlée ☃")) == expected_log_prob(
            context, " crème brûlée ☃", model="m"
        )


REQUEST_FAULTS: dict[str, tuple[type[LogProbError], int | None]] = {
    "rate_limit": (RateLimited, 429),
    "server_error": (ServerError, 500),
    "unavailable": (ServerError, 503),
    "context_length": (TokenLimitExceeded, 400),
    "bad_request": (BadRequest, 400),
    "unprocessable": (BadRequest, 422),
    "missing_choices": (MalformedResponse, 200),
}


def http_of(error: LogProbError) -> HttpDetail | None:
    match error:
        case RateLimited(http=http) | ServerError(http=http) | BadRequest(http=http) | MalformedResponse(http=http):
            return http
        case TokenLimitExceeded(http=http) | Unauthorized(http=http) | ModelNotFound(http=http):
            return http
        case _:
            return None


@pytest.mark.parametrize("fault", sorted(REQUEST_FAULTS))
def test_each_request_fault_is_its_own_error_with_status_and_request_hash(server: FakeServer, fault: str) -> None:
    kind, status = REQUEST_FAULTS[fault]
    context = f"Q {fault_marker(fault)}:"
    with make_policy(server, temperature=0.7) as policy:
        error = error_of(policy.compute_log_prob(context, " A"))
    assert type(error) is kind
    http = http_of(error)
    assert http is not None and http.status == status
    body = encode_request(request_payload(model="m", prompts=[context + " A"], temperature=0.7, max_tokens=0))
    assert http.request_hash == request_hash(body)
    if fault == "rate_limit":
        assert isinstance(error, RateLimited) and error.retry_after == 1.0
    assert len(http.body_excerpt) <= 200


@pytest.mark.parametrize(
    ("fault", "prompt_part", "expected"),
    [
        ("missing_logprobs", "", MalformedResponse(reason="missing logprobs")),
        ("short_logprobs", "", MalformedResponse(reason="token_logprobs has ")),
        ("null_logprob", "", MalformedResponse(reason="null log prob at token ")),
        ("nan", "", InvalidLogProb(value=math.nan)),
        ("positive", "", InvalidLogProb(value=0.25)),
        ("echo_crlf", "a\r\nb", TokenBoundaryError(reason="crlf_normalization")),
        ("echo_whitespace", "a  b", TokenBoundaryError(reason="whitespace_normalization")),
        ("echo_mismatch", "", TokenBoundaryError(reason="echo_mismatch")),
        ("bpe_tokens", "", TokenBoundaryError(reason="echo_mismatch")),
    ],
)
def test_each_answer_pathology_is_its_own_error(
    server: FakeServer, fault: str, prompt_part: str, expected: LogProbError
) -> None:
    with make_policy(server) as policy:
        error = error_of(policy.compute_log_prob((prompt_part or "Hi") + fault_marker(fault), " A"))
    assert type(error) is type(expected) and not error.transient
    match error, expected:
        case MalformedResponse(reason=got), MalformedResponse(reason=want):
            assert got.startswith(want)
        case InvalidLogProb(value=got), InvalidLogProb(value=want):
            assert (math.isnan(got) and math.isnan(want)) or got == want
        case TokenBoundaryError(reason=got), TokenBoundaryError(reason=want):
            assert got == want
        case _:
            raise AssertionError(f"unexpected {error!r}")


def test_a_hang_past_the_timeout_is_a_timeout(server: FakeServer) -> None:
    started = time.monotonic()
    with make_policy(server, timeout=0.2) as policy:
        error = error_of(policy.compute_log_prob("Q" + fault_marker("hang"), " A"))
    assert isinstance(error, Timeout) and error.seconds == 0.2 and len(error.request_hash) == 16
    assert time.monotonic() - started < 10.0  # generous: the server hangs for 30 s


def test_dropped_and_refused_connections_are_connection_failures(server: FakeServer) -> None:
    with make_policy(server) as policy:
        dropped = error_of(policy.compute_log_prob("Q" + fault_marker("drop"), " A"))
    assert isinstance(dropped, ConnectionFailed) and dropped.transient
    port = server.port
    server.stop()
    with OpenAICompatiblePolicy(name="p", base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout=2.0) as policy:
        refused = error_of(policy.compute_log_prob("Q", " A"))
    assert isinstance(refused, ConnectionFailed) and "Connect" in refused.reason


def test_unknown_model_is_model_not_found(server: FakeServer) -> None:
    with make_policy(server, model="no-such-model") as policy:
        error = error_of(policy.compute_log_prob("Q", " A"))
    assert isinstance(error, ModelNotFound) and error.model == "no-such-model" and not error.transient


# Retries ------------------------------------------------------------------------


class Sleeps:
    """Records the waits ``retrying`` asks for, without waiting."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.mark.parametrize("convention", ["sync", "async"])
def test_rate_limits_are_retried_after_the_servers_retry_after(server: FakeServer, convention: str) -> None:
    sleeps = Sleeps()
    context = f"{convention} {fault_marker('rate_limit', times=2)}:"
    with make_policy(server) as backend:
        policy = retrying(backend, max_attempts=4, sleep=sleeps)
        if convention == "sync":
            result = policy.compute_log_prob(context, " A")
        else:
            result = asyncio.run(policy.compute_log_prob_async(context, " A"))
    assert value_of(result) == expected_log_prob(context, " A", model="m")
    assert sleeps.seconds == [1.0, 1.0]
    assert server.stats().requests == 3


def test_an_http_date_retry_after_is_honoured() -> None:
    config = FakeServerConfig(models=MODELS, retry_after=formatdate(time.time() + 30, usegmt=True))
    with FakeServer(config) as server, make_policy(server) as policy:
        error = error_of(policy.compute_log_prob("Q" + fault_marker("rate_limit"), " A"))
    assert isinstance(error, RateLimited) and error.retry_after is not None
    assert 25.0 <= error.retry_after <= 31.0


def test_transient_faults_exhaust_retries_and_permanent_ones_are_not_retried(server: FakeServer) -> None:
    sleeps = Sleeps()
    with make_policy(server) as backend:
        policy = retrying(backend, max_attempts=3, sleep=sleeps)
        exhausted = error_of(policy.compute_log_prob("Q" + fault_marker("unavailable"), " A"))
        assert isinstance(exhausted, RetriesExhausted) and exhausted.attempts == 3
        assert isinstance(exhausted.last, ServerError) and exhausted.last.status == 503
        assert server.stats().requests == 3 and len(sleeps.seconds) == 2
        server.reset_stats()
        for fault in ("bad_request", "context_length", "nan", "echo_mismatch", "missing_choices"):
            assert not error_of(policy.compute_log_prob(f"{fault}{fault_marker(fault)}", " A")).transient
        assert server.stats().requests == 5 and len(sleeps.seconds) == 2


@pytest.mark.parametrize("fault", ["truncated_body", "malformed_json"])
def test_a_200_whose_body_is_cut_short_is_retried_within_the_bound(server: FakeServer, fault: str) -> None:
    sleeps = Sleeps()
    with make_policy(server) as backend:
        policy = retrying(backend, max_attempts=3, sleep=sleeps)
        server.reset_stats()
        once = "Q" + fault_marker(fault, times=1)
        assert value_of(policy.compute_log_prob(once, " A")) == expected_log_prob(once, " A", model="m")
        assert server.stats().requests == 2
        server.reset_stats()
        exhausted = error_of(policy.compute_log_prob("Q" + fault_marker(fault), " A"))
        assert isinstance(exhausted, RetriesExhausted) and exhausted.attempts == 3
        assert isinstance(exhausted.last, ConnectionFailed) and "not complete JSON" in exhausted.last.reason
        assert server.stats().requests == 3


def test_a_timeout_is_retried_and_then_succeeds() -> None:
    with FakeServer(FakeServerConfig(models=MODELS, hang_seconds=1.0)) as server:
        with make_policy(server, timeout=0.2) as backend:
            policy = retrying(backend, max_attempts=2, sleep=Sleeps())
            context = "Q" + fault_marker("hang", times=1)
            assert value_of(policy.compute_log_prob(context, " A")) == expected_log_prob(context, " A", model="m")


# Concurrency ---------------------------------------------------------------------


def test_in_flight_requests_never_exceed_the_bound_async() -> None:
    with FakeServer(FakeServerConfig(models=MODELS, latency=0.02)) as server:
        with make_policy(server, max_in_flight=4) as policy:
            pairs = [(f"Q{i}:", f" A{i}") for i in range(40)]
            results = score_all(policy, pairs)
            assert [value_of(r) for r in results] == [expected_log_prob(c, r, model="m") for c, r in pairs]
            assert server.stats().max_in_flight == 4 == policy.peak_in_flight
            assert server.stats().requests == 40


def test_the_bound_holds_across_threads_and_event_loops_together() -> None:
    with FakeServer(FakeServerConfig(models=MODELS, latency=0.02)) as server:
        with make_policy(server, max_in_flight=3) as policy:
            outcomes: list[LogProbResult] = []

            def blocking_caller(index: int) -> None:
                outcomes.append(policy.compute_log_prob(f"T{index}:", " A"))

            threads = [threading.Thread(target=blocking_caller, args=(i,)) for i in range(8)]
            for thread in threads:
                thread.start()
            results = score_all(policy, [(f"L{i}:", " A") for i in range(12)])
            for thread in threads:
                thread.join()
    assert all(isinstance(result, Success) for result in [*outcomes, *results]) and len(outcomes) == 8
    assert server.stats().max_in_flight <= 3 and server.stats().requests == 20


def test_concurrent_calls_are_coalesced_into_batches_split_back_per_sample(server: FakeServer) -> None:
    pairs = [(f"Question {i}:", " yes" * (i % 3 + 1)) for i in range(10)]
    with make_policy(server, batch_size=4) as policy:
        results = score_all(policy, pairs)
    assert [value_of(r) for r in results] == [expected_log_prob(c, r, model="m") for c, r in pairs]
    assert len(set(map(value_of, results))) == 3
    assert (server.stats().requests, server.stats().prompts) == (3, 10)


def test_one_bad_element_fails_only_its_cell(server: FakeServer) -> None:
    pairs = [(f"Q{i}:", " A") for i in range(4)]
    pairs[1] = ("Q1" + fault_marker("nan") + ":", " A")
    pairs[2] = ("Q2" + fault_marker("missing_logprobs") + ":", " A")
    with make_policy(server, batch_size=4) as policy:
        results = score_all(policy, pairs)
    assert isinstance(error_of(results[1]), InvalidLogProb)
    assert isinstance(error_of(results[2]), MalformedResponse)
    assert [value_of(results[i]) for i in (0, 3)] == [expected_log_prob(*pairs[i], model="m") for i in (0, 3)]
    assert server.stats().requests == 1


def test_a_batch_rejected_for_one_prompt_is_resent_prompt_by_prompt(server: FakeServer) -> None:
    pairs = [(f"Q{i}:", " A") for i in range(4)]
    pairs[3] = ("Q3" + fault_marker("context_length") + ":", " A")
    with make_policy(server, batch_size=4) as policy:
        results = score_all(policy, pairs)
    assert isinstance(error_of(results[3]), TokenLimitExceeded)
    assert [value_of(results[i]) for i in range(3)] == [expected_log_prob(*pairs[i], model="m") for i in range(3)]
    assert (server.stats().requests, server.stats().prompts) == (5, 8)


def test_the_sampler_accounts_for_every_cell(server: FakeServer) -> None:
    samples = [(f"s{i}", f"Sample {i}:", f" answer {i}") for i in range(12)]
    samples[3] = ("s3", "Sample 3" + fault_marker("nan") + ":", " answer")
    samples[7] = ("s7", "Sample 7" + fault_marker("bad_request") + ":", " answer")
    with (
        make_policy(server, name="base", model="m", batch_size=4) as base,
        make_policy(server, name="target", model="m2", max_in_flight=2) as target,
        make_policy(server, name="missing", model="gone") as missing,
    ):
        batch = MultiTargetSampler(
            policies=[base, target, missing], base_policy_name="base", max_concurrency=8
        ).process_batch(samples)
    accounting = batch.accounting()
    assert accounting.balanced and accounting.total == 36
    assert accounting.succeeded == 2 * 10
    assert dict(accounting.failed_by_kind) == {"invalid_log_prob": 2, "bad_request": 2, "model_not_found": 12}
    for result, (_, context, response) in zip(batch.results, samples, strict=True):
        if result.sample_id not in ("s3", "s7"):
            want = expected_log_prob(context, response, model="m2") - expected_log_prob(context, response, model="m")
            assert value_of(result.log_weights["target"]) == pytest.approx(want, abs=1e-12)
    assert server.stats().max_in_flight <= 8


# Teacher-forcing options -------------------------------------------------------------


def test_the_two_request_fallback_checks_the_token_prefix(server: FakeServer) -> None:
    context = "Ctx " + fault_marker("bpe_tokens") + ":"
    with make_policy(server, two_request_fallback=True) as policy:
        scored = value_of(asyncio.run(policy.score_async(context, " some answer")))
        assert scored.method == "two_request"
        assert scored.log_prob == pytest.approx(expected_log_prob(context, " some answer", model="m"), abs=1e-12)
        server.reset_stats()
        error = error_of(policy.compute_log_prob("Hello wor", "ld"))
    assert error == TokenBoundaryError(reason="prefix_mismatch")
    assert server.stats().requests == 2
    with make_policy(server) as plain:
        assert error_of(plain.compute_log_prob("Hello wor", "ld")) == TokenBoundaryError(reason="boundary_spans_token")


def test_chat_templates_are_applied_and_recorded(server: FakeServer) -> None:
    with make_policy(server, template="llama3", system_prompt="Be brief.") as policy:
        rendered = value_of(policy.render("2+2?", " 4"))
        assert rendered.scored == " 4<|eot_id|>"
        assert value_of(policy.compute_log_prob("2+2?", " 4")) == expected_log_prob(
            rendered.context, rendered.scored, model="m"
        )
        assert policy.template_id is not None and policy.template_id.startswith("llama3@")
        with_end_of_turn = value_of(policy.compute_log_prob("2+2?", " 4"))
    with make_policy(server, template="llama3", score_end_of_turn=False) as policy:
        without = value_of(policy.compute_log_prob("2+2?", " 4"))
        assert without == expected_log_prob(value_of(policy.render("2+2?", " 4")).context, " 4", model="m")
    assert without != with_end_of_turn
    with make_policy(server) as raw:
        assert raw.template_id is None


def test_empty_inputs_never_reach_the_server(server: FakeServer) -> None:
    with make_policy(server) as policy:
        assert error_of(policy.compute_log_prob("Q", "  ")).kind == "invalid_input"
    assert server.stats().requests == 0


def test_configuration_is_validated() -> None:
    with pytest.raises(ValueError, match="http"):
        OpenAICompatiblePolicy(name="p", base_url="ftp://example/v1", model="m")
    with pytest.raises(ValueError):
        OpenAICompatiblePolicy(name="p", base_url="http://127.0.0.1:1/v1", model="m", max_tokens=2)  # type: ignore[arg-type]  # rejected at run time too
    with pytest.raises(ValueError):
        OpenAICompatiblePolicy(name="p", base_url="http://127.0.0.1:1/v1", model="m", max_in_flight=0)


# Secrets and resources ----------------------------------------------------------------


def test_the_api_key_appears_in_no_error_repr_log_or_file(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    canary = "canary-" + secrets.token_hex(16)
    monkeypatch.setenv("CJE_CANARY_API_KEY", canary)
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    with FakeServer(FakeServerConfig(models=MODELS, api_key=canary)) as good:
        with make_policy(good, api_key_env="CJE_CANARY_API_KEY") as policy:
            assert value_of(policy.compute_log_prob("Q", " A")) == expected_log_prob("Q", " A", model="m")
            seen.append(repr(policy))
            for fault in ("rate_limit", "bad_request", "context_length", "malformed_json", "drop"):
                seen.append(error_of(policy.compute_log_prob("Q" + fault_marker(fault), " A")).describe())
    with FakeServer(FakeServerConfig(models=MODELS, api_key="another-key-entirely")) as strict:
        with (
            make_policy(strict, api_key_env="CJE_CANARY_API_KEY") as policy,
            make_policy(strict, name="t", api_key_env="CJE_CANARY_API_KEY") as target,
        ):
            refused = error_of(policy.compute_log_prob("Q", " A"))
            batch = MultiTargetSampler(policies=[policy, target], base_policy_name="p").process_batch(
                [("s1", "Q", " A")]
            )
    assert isinstance(refused, Unauthorized)
    http = http_of(refused)
    assert http is not None and "Incorrect API key provided" in http.body_excerpt
    assert "[REDACTED]" in http.body_excerpt  # the server quoted the key back; we did not keep it
    seen += [repr(refused), refused.describe(), batch.summary(), repr(batch)]
    output = tmp_path / "results.jsonl"
    output.write_text("\n".join(json.dumps({"record": text}) for text in seen))
    assert canary not in output.read_text()
    assert canary not in caplog.text and canary not in "".join(seen)
    assert any("request" in record.getMessage() for record in caplog.records)


def test_a_missing_key_variable_fails_without_sending(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CJE_ABSENT_API_KEY", raising=False)
    with make_policy(server, api_key_env="CJE_ABSENT_API_KEY") as policy:
        error = error_of(policy.compute_log_prob("Q", " A"))
    assert isinstance(error, Unauthorized) and "CJE_ABSENT_API_KEY is not set" in error.describe()
    assert server.stats().requests == 0


def test_sessions_are_closed_without_warnings(server: FakeServer) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        policy = make_policy(server, batch_size=2)
        assert isinstance(policy.compute_log_prob("Q", " A"), Success)
        assert all(isinstance(r, Success) for r in score_all(policy, [("Q", " A"), ("R", " B")]))
        # asyncio.run's loop closed its session as it ended; the background loop keeps its own.
        assert [loop.is_closed() for loop in policy._runtime.clients._entries] == [False]

        async def inside_a_loop() -> None:
            async with make_policy(server) as scoped:
                assert isinstance(await scoped.compute_log_prob_async("Q", " A"), Success)

        asyncio.run(inside_a_loop())
        policy.close()
        assert policy._runtime.clients._entries == {}
        del policy
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_dropped_policy_stops_its_background_thread(server: FakeServer) -> None:
    policy = make_policy(server, name="dropped-policy")
    assert isinstance(policy.compute_log_prob("Q", " A"), Success)
    assert "cje_fp-dropped-policy" in [thread.name for thread in threading.enumerate()]
    del policy
    gc.collect()
    assert "cje_fp-dropped-policy" not in [thread.name for thread in threading.enumerate()]


def test_a_redirect_is_not_followed_with_our_key() -> None:
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            received.append(connection.recv(65536))
            connection.sendall(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with OpenAICompatiblePolicy(name="p", base_url=f"http://127.0.0.1:{port}/v1", model="m") as policy:
        result = policy.compute_log_prob("q", "a")
    thread.join(timeout=10)
    listener.close()
    assert len(received) == 1
    match sealed(result):
        case Failure(error):
            assert error.kind == "bad_request"
        case Success(value):
            raise AssertionError(value)


def test_a_crash_in_one_cell_of_many_fails_that_cell_only(server: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    import cje_fp.backends.openai._policy as backend

    located = backend._value

    def crashing(echo: object, context: str, scored: str) -> object:
        if scored == " boom":
            raise ZeroDivisionError("a bug in locating one cell's tokens")
        return located(echo, context, scored)  # type: ignore[arg-type]  # the real one, typed

    monkeypatch.setattr(backend, "_value", crashing)
    pairs = [(QUESTION, " one"), (QUESTION, " boom"), (QUESTION, "  "), (QUESTION, " two")]
    with make_policy(server, batch_size=8) as policy:
        results = asyncio.run(policy.compute_log_probs_async(pairs))
    assert results[0] == Success(expected_log_prob(QUESTION, " one", model="m"))
    assert results[3] == Success(expected_log_prob(QUESTION, " two", model="m"))
    assert isinstance(error_of(results[1]), PolicyCrashed) and "ZeroDivisionError" in error_of(results[1]).describe()
    assert isinstance(error_of(results[2]), InvalidInput)
