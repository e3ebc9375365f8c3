"""``Coalescer.echo_many``: full batches of a call leave at once, one waiter per request."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from returns.result import Failure, Success

from cje_fp.backends.openai._coalescer import Coalescer
from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._router import Endpoint, Router
from cje_fp.errors._log_prob import BadRequest


def echo_of(prompt: str) -> Echo:
    return Echo(text=prompt, tokens=(prompt,), log_probs=(None,), text_offset=(0,))


def texts(results: Sequence[EchoResult]) -> list[object]:
    return [result.map(lambda echo: echo.text) for result in results]


def test_a_call_shares_its_last_partial_batch_with_the_next_call() -> None:
    sent: list[list[str]] = []

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.001)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> tuple[list[EchoResult], list[EchoResult]]:
        coalescer = Coalescer(send=send, batch_size=3, router=Router(("http://a/v1",), ceiling=8), wait=0.0)
        first = coalescer.echo_many([f"a{i}" for i in range(7)])
        second = coalescer.echo_many(["b0", "b1"])
        return await first, await second

    first, second = asyncio.run(main())
    assert texts(first) == [Success(f"a{i}") for i in range(7)]
    assert texts(second) == [Success("b0"), Success("b1")]
    assert sorted(sent) == [["a0", "a1", "a2"], ["a3", "a4", "a5"], ["a6", "b0", "b1"]]


def test_a_call_cancelled_while_its_requests_are_in_flight_leaves_no_error_behind() -> None:
    errors: list[dict[str, Any]] = []
    sent: list[list[str]] = []

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.01)
        if "bad" in prompts:
            return [Failure(BadRequest())] * len(prompts)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> list[EchoResult]:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
        coalescer = Coalescer(send=send, batch_size=2, router=Router(("http://a/v1",), ceiling=8), wait=0.0)
        cancelled = asyncio.ensure_future(coalescer.echo_many(["x", "y", "bad", "z"]))
        await asyncio.sleep(0)  # both requests are in flight
        cancelled.cancel()
        later = await coalescer.echo_many(["c", "d"])
        await asyncio.sleep(0.05)  # the cancelled call's requests (and the split one) end
        return later

    later = asyncio.run(main())
    assert texts(later) == [Success("c"), Success("d")]
    assert errors == []
    # the rejected batch of the cancelled call is not split and sent again: nobody waits for it
    assert sorted(map(tuple, sent)) == [("bad", "z"), ("c", "d"), ("x", "y")]


def test_a_call_of_one_batch_to_one_endpoint_is_sent_by_the_callers_own_coroutine() -> None:
    senders: list[object] = []

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        senders.append(asyncio.current_task())
        await asyncio.sleep(0.001)
        return [Success(echo_of(p)) for p in prompts]

    async def main(endpoints: tuple[str, ...]) -> tuple[object, list[EchoResult]]:
        coalescer = Coalescer(send=send, batch_size=2, router=Router(endpoints, ceiling=4), wait=0.0)
        return asyncio.current_task(), await coalescer.echo_many(["a", "b"])

    caller, results = asyncio.run(main(("http://a/v1",)))
    assert texts(results) == [Success("a"), Success("b")] and senders == [caller]
    # with several endpoints, requests keep the order they were granted in (tasks of their own)
    caller, results = asyncio.run(main(("http://a/v1", "http://b/v1")))
    assert texts(results) == [Success("a"), Success("b")] and senders[1] is not caller


def test_a_call_of_one_batch_cancelled_before_or_while_sending_gives_its_slot_back() -> None:
    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        await asyncio.sleep(0.05)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> list[EchoResult]:
        coalescer = Coalescer(send=send, batch_size=2, router=Router(("http://a/v1",), ceiling=1), wait=0.0)
        never_ran = asyncio.ensure_future(coalescer.echo_many(["x", "y"]))
        never_ran.cancel()  # before its first step: it never took a slot
        sending = asyncio.ensure_future(coalescer.echo_many(["u", "v"]))
        await asyncio.sleep(0.01)  # it holds the only slot, its request in flight
        sending.cancel()
        # the only slot is free again: this call is answered (a leaked slot would hang it)
        return await asyncio.wait_for(coalescer.echo_many(["c", "d"]), timeout=5.0)

    assert texts(asyncio.run(main())) == [Success("c"), Success("d")]
