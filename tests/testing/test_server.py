"""The fake vLLM-shaped server that ``cje_fp.testing`` ships: shape, faults, counting."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given, strategies as st

from cje_fp.testing import (
    CONTEXT_LENGTH_MESSAGE,
    FakeServer,
    FakeServerConfig,
    expected_log_prob,
    fault_marker,
    token_log_prob,
    tokenize,
)


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer(FakeServerConfig(models=("m",))) as running:
        yield running


def post(server: FakeServer, body: object, key: str | None = None) -> tuple[int, dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        server.base_url + "/completions", data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def completion(prompt: str | list[str], **extra: object) -> dict[str, object]:
    return {"model": "m", "prompt": prompt, "echo": True, "logprobs": 1, "max_tokens": 0, **extra}


@given(st.text(max_size=60))
def test_tokens_join_back_to_the_text(text: str) -> None:
    assert "".join(tokenize(text)) == text


def test_expected_log_prob_is_the_sum_of_the_response_tokens() -> None:
    assert expected_log_prob("Say:", " hi there", model="m") == math.fsum(
        [token_log_prob("m", " hi"), token_log_prob("m", " there")]
    )
    words = [" hi", " there", " a", " b", " c"]
    assert [token_log_prob("m", w) for w in words] != [token_log_prob("other", w) for w in words]
    with pytest.raises(ValueError, match="splits a token"):
        expected_log_prob("Hello wor", "ld", model="m")


def test_answers_in_the_vllm_completions_shape(server: FakeServer) -> None:
    status, _, raw = post(server, completion(["2+2=  4", "Hi"]))
    assert status == 200
    document = json.loads(raw)
    assert [choice["index"] for choice in document["choices"]] == [0, 1]
    first = document["choices"][0]
    assert first["text"] == "2+2=  4"
    logprobs = first["logprobs"]
    assert logprobs["tokens"] == ["2", "+", "2", "=", "  4"]
    assert logprobs["text_offset"] == [0, 1, 2, 3, 4]
    assert logprobs["token_logprobs"][0] is None
    assert logprobs["token_logprobs"][1:] == [token_log_prob("m", t) for t in ["+", "2", "=", "  4"]]
    assert logprobs["top_logprobs"][0] is None and logprobs["top_logprobs"][1] == {"+": token_log_prob("m", "+")}
    assert document["usage"]["prompt_tokens"] == 6
    assert server.stats().requests == 1 and server.stats().prompts == 2


def test_max_tokens_appends_generated_tokens(server: FakeServer) -> None:
    _, _, raw = post(server, completion("Hi", max_tokens=1))
    choice = json.loads(raw)["choices"][0]
    assert choice["text"] == "Hi the"
    assert choice["logprobs"]["tokens"] == ["Hi", " the"]
    assert choice["logprobs"]["text_offset"] == [0, 2]


def test_a_marker_with_a_count_fails_only_the_first_requests(server: FakeServer) -> None:
    prompt = "x" + fault_marker("server_error", times=2)
    statuses = [post(server, completion(prompt))[0] for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert server.stats().statuses == {500: 2, 200: 1}


def test_rate_limit_sends_retry_after(server: FakeServer) -> None:
    status, headers, _ = post(server, completion("x" + fault_marker("rate_limit")))
    assert status == 429 and headers["Retry-After"] == "1"


def test_request_faults_answer_with_their_status(server: FakeServer) -> None:
    expected = {"context_length": 400, "bad_request": 400, "unprocessable": 422, "unavailable": 503}
    for kind, status in expected.items():
        got, _, raw = post(server, completion("x" + fault_marker(kind)))
        assert got == status, kind
    _, _, raw = post(server, completion("x" + fault_marker("context_length")))
    assert CONTEXT_LENGTH_MESSAGE.split(" is ")[0] in raw.decode()
    status, _, raw = post(server, completion("x" + fault_marker("malformed_json")))
    assert status == 200 and raw == b'{"choices": ['


def test_prompt_faults_change_only_their_choice(server: FakeServer) -> None:
    _, _, raw = post(server, completion(["ok", "bad" + fault_marker("nan"), "gone" + fault_marker("missing_logprobs")]))
    choices = json.loads(raw)["choices"]
    assert all(value is None or value <= 0 for value in choices[0]["logprobs"]["token_logprobs"])
    assert math.isnan(choices[1]["logprobs"]["token_logprobs"][-1])
    assert choices[2]["logprobs"] is None


def test_a_dropped_connection_is_a_connection_error(server: FakeServer) -> None:
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        post(server, completion("x" + fault_marker("drop")))


def test_wrong_key_gets_401_quoting_it_and_unknown_model_404() -> None:
    with FakeServer(FakeServerConfig(models=("m",), api_key="the-right-key")) as server:
        status, _, raw = post(server, completion("x"), key="wrong-key-value")
        assert status == 401 and b"wrong-key-value" in raw
        assert post(server, completion("x"), key="the-right-key")[0] == 200
        status, _, raw = post(server, {**completion("x"), "model": "nope"}, key="the-right-key")
        assert status == 404 and b"nope" in raw


def test_generated_only_mode_returns_no_prompt_logprobs() -> None:
    with FakeServer(FakeServerConfig(models=("m",), generated_only=True)) as server:
        _, _, raw = post(server, completion("Hello there", max_tokens=1))
        choice = json.loads(raw)["choices"][0]
        assert choice["text"] == " the" and choice["logprobs"]["tokens"] == [" the"]
        _, _, raw = post(server, completion("Hello there"))
        assert json.loads(raw)["choices"][0]["logprobs"]["tokens"] == []


def test_models_and_stats_endpoints(server: FakeServer) -> None:
    with urllib.request.urlopen(server.base_url + "/models", timeout=5) as answer:
        assert [model["id"] for model in json.load(answer)["data"]] == ["m"]
    post(server, completion("x"))
    with urllib.request.urlopen(server.base_url.removesuffix("/v1") + "/stats", timeout=5) as answer:
        assert json.load(answer)["requests"] == 1
    with urllib.request.urlopen(server.base_url.removesuffix("/v1") + "/stats?reset=1", timeout=5) as answer:
        assert json.load(answer)["requests"] == 1
    assert server.stats().requests == 0
    post(server, completion("x"))
    server.reset_stats()
    assert server.stats().requests == 0


def test_runs_as_a_process_printing_its_url() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "cje_fp.testing", "--model", "m"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
        request = urllib.request.Request(
            url + "/completions", data=json.dumps(completion("Hi")).encode(), method="POST",
            headers={"Content-Type": "application/json"},
        )
        for attempt in range(50):
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:
                    assert json.load(answer)["choices"][0]["text"] == "Hi"
                break
            except urllib.error.URLError:
                if attempt == 49:
                    raise
                time.sleep(0.05)
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()


def test_content_faults_are_chosen_by_the_prompt_text_in_any_order_and_any_server() -> None:
    config = FakeServerConfig(models=("m",), content_faults={"server_error": 0.2, "nan": 0.2}, fault_seed=3)
    prompts = [f"prompt number {index}" for index in range(60)]

    def outcomes(order: list[str]) -> dict[str, str]:
        with FakeServer(config) as running:
            seen = {}
            for prompt in order:
                status, _, raw = post(running, completion(prompt))
                values = json.loads(raw)["choices"][0]["logprobs"]["token_logprobs"] if status == 200 else []
                seen[prompt] = "server_error" if status == 500 else "nan" if any(
                    value is not None and math.isnan(value) for value in values
                ) else "ok"
            return seen

    forward = outcomes(prompts)
    assert forward == outcomes(prompts[::-1])
    counts = {kind: list(forward.values()).count(kind) for kind in ("server_error", "nan", "ok")}
    assert all(count >= 4 for count in counts.values()), counts
    with FakeServer(attrs.evolve(config, fault_seed=4)) as running:
        other_seed = {prompt: post(running, completion(prompt))[0] for prompt in prompts}
    assert other_seed != {prompt: 500 if kind == "server_error" else 200 for prompt, kind in forward.items()}


def test_a_content_fault_with_a_count_fires_on_the_first_requests_of_its_prompt_only() -> None:
    config = FakeServerConfig(models=("m",), content_faults={"server_error*2": 1.0})
    with FakeServer(config) as running:
        assert [post(running, completion("any text"))[0] for _ in range(3)] == [500, 500, 200]
        assert post(running, completion("other text"))[0] == 500


def test_content_fault_rates_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        FakeServerConfig(content_faults={"melt": 0.1})
    with pytest.raises(ValueError, match="more than 1"):
        FakeServerConfig(content_faults={"nan": 0.6, "positive": 0.6})
