"""``SlotLimiter`` across event loops, and ``Coalescer`` batching within one."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from returns.result import Failure, Success

from cje_fp.backends.openai._coalescer import Coalescer
from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._limiter import SlotLimiter
from cje_fp.errors._log_prob import BadRequest, ServerError


def test_slots_are_bounded_across_loops_in_threads() -> None:
    limiter = SlotLimiter(limit=3)
    held = [0]
    peak = [0]
    lock = threading.Lock()

    async def hold() -> None:
        async with limiter.slot():
            with lock:
                held[0] += 1
                peak[0] = max(peak[0], held[0])
            await asyncio.sleep(0.005)
            with lock:
                held[0] -= 1

    async def many() -> None:
        await asyncio.gather(*(hold() for _ in range(10)))

    threads = [threading.Thread(target=asyncio.run, args=(many(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3 == limiter.peak and limiter.held == 0


def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    limiter = SlotLimiter(limit=1)

    async def main() -> None:
        await limiter.acquire()
        waiter = asyncio.ensure_future(limiter.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        limiter.release()  # granted to the cancelled waiter, which gives it back
        await asyncio.sleep(0)
        assert limiter.try_acquire()
        limiter.release()

    asyncio.run(main())
    assert limiter.held == 0


def echo_of(prompt: str) -> Echo:
    return Echo(text=prompt, tokens=(prompt,), log_probs=(None,), text_offset=(0,))


def test_a_partial_batch_waits_for_a_slot_and_a_rejected_batch_is_split() -> None:
    sent: list[list[str]] = []

    async def send(prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.01)
        if "bad" in prompts:  # the server rejects the whole request
            return [Failure(BadRequest())] * len(prompts)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> list[EchoResult]:
        coalescer = Coalescer(send=send, batch_size=3, limiter=SlotLimiter(limit=1), wait=0.0)
        return list(await asyncio.gather(*(coalescer.echo(p) for p in ["a", "bad", "c", "d"])))

    results = asyncio.run(main())
    assert [r.map(lambda e: e.text) for r in results] == [Success("a"), Failure(BadRequest()), Success("c"), Success("d")]
    assert sent == [["a", "bad", "c"], ["a"], ["bad"], ["c"], ["d"]]


def test_a_server_that_fails_every_batch_gets_one_prompt_per_request_from_then_on() -> None:
    # llama-cpp-python's server answers a list of prompts with an empty HTTP 500.
    sent: list[list[str]] = []

    async def send(prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.01)
        if len(prompts) > 1:
            return [Failure(ServerError(status=500))] * len(prompts)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> tuple[list[EchoResult], bool]:
        coalescer = Coalescer(send=send, batch_size=2, limiter=SlotLimiter(limit=1), wait=0.0)
        first = await asyncio.gather(*(coalescer.echo(p) for p in ["a", "b"]))
        later = await asyncio.gather(*(coalescer.echo(p) for p in ["c", "d"]))
        return [*first, *later], coalescer.batching

    results, batching = asyncio.run(main())
    assert [r.map(lambda e: e.text) for r in results] == [Success("a"), Success("b"), Success("c"), Success("d")]
    assert sent == [["a", "b"], ["a"], ["b"], ["c"], ["d"]] and not batching
