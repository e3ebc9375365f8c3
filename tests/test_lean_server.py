"""The lean fake server answers as the full fake server does, for less CPU."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from returns.result import Success

from benchmarks.lean_server import LeanServer
from cje_fp.backends.openai._policy import OpenAICompatiblePolicy
from cje_fp.testing import FakeServer, FakeServerConfig, expected_log_prob, fault_marker

CONFIG = FakeServerConfig(models=("m", "other"))


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeServer, LeanServer]]:
    with FakeServer(CONFIG) as full, LeanServer(CONFIG) as lean:
        yield full, lean


def post(base_url: str, body: object) -> tuple[int, object]:
    request = urllib.request.Request(
        base_url + "/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def completion(prompt: object, **extra: object) -> dict[str, object]:
    return {"model": "m", "prompt": prompt, "echo": True, "logprobs": 1, "max_tokens": 0, **extra}


BODIES = [
    completion("Hi there, you"),
    completion(["Q: 2+2=", " 4\n\nnext", "Zürich <|eot_id|> and\ttabs"]),
    completion("Say: yes", max_tokens=1),
    completion("no echo", echo=False),
    {"model": "other", "prompt": "defaults apply"},
    completion("Q", model="no-such-model"),
    completion(3),
    completion([]),
    completion("Q", max_tokens=-1),
]


@pytest.mark.parametrize("body", BODIES)
def test_the_same_answers_as_the_full_fake_server(servers: tuple[FakeServer, LeanServer], body: object) -> None:
    full, lean = servers
    full.reset_stats()
    lean.app.counts.reset()
    assert post(lean.base_url, body) == post(full.base_url, body)


def test_fault_markers_are_refused_not_ignored(servers: tuple[FakeServer, LeanServer]) -> None:
    status, document = post(servers[1].base_url, completion("Q" + fault_marker("rate_limit")))
    assert status == 400 and "injects no faults" in json.dumps(document)


def test_keep_alive_counts_and_stats(servers: tuple[FakeServer, LeanServer]) -> None:
    lean = servers[1]
    lean.app.counts.reset()
    host, port = lean.base_url.removeprefix("http://").removesuffix("/v1").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    for prompts in (["a b", "c"], "d"):
        connection.request("POST", "/v1/completions", body=json.dumps(completion(prompts)))
        assert connection.getresponse().read()
    connection.request("GET", "/stats?reset=1")
    stats = json.loads(connection.getresponse().read())
    connection.close()
    assert stats == {"requests": 2, "prompts": 3, "in_flight": 0, "max_in_flight": 1, "statuses": {"200": 2}}
    assert lean.app.counts.stats().requests == 0


def test_the_policy_scores_exactly_against_it(servers: tuple[FakeServer, LeanServer]) -> None:
    lean = servers[1]
    with OpenAICompatiblePolicy(name="p", base_url=lean.base_url, model="m", batch_size=2) as policy:
        got = policy.compute_log_prob("Question: what is 2+2?", " It is 4.")
    assert got == Success(expected_log_prob("Question: what is 2+2?", " It is 4.", model="m"))


def test_it_runs_as_a_process() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.lean_server", "--model", "m", "--latency", "0.01"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        status, document = post(base_url, completion("Hi there"))
        assert status == 200 and isinstance(document, dict) and len(document["choices"]) == 1
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
        if process.stdout is not None:
            process.stdout.close()
