"""``Router`` (slots across event loops, AIMD, ejection) and ``Coalescer`` batching and failover."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import pytest
from returns.result import Failure, Success

from cje_fp.backends.openai._coalescer import Coalescer, SendBatch
from cje_fp.backends.openai._completions import Echo, EchoResult
from cje_fp.backends.openai._router import OK, OVERLOADED, UNREACHABLE, Endpoint, Router
from cje_fp.backends.openai._window import ServerWindow
from cje_fp.errors._log_prob import BadRequest, ConnectionFailed, EndpointsDown, RateLimited, ServerError


def own_window(url: str) -> ServerWindow:
    """A window of this test's own (the process's windows are shared by server)."""
    return ServerWindow()


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_slots_are_bounded_across_loops_in_threads() -> None:
    router = Router(("http://a/v1",), ceiling=3)
    held = [0]
    peak = [0]
    lock = threading.Lock()

    async def hold() -> None:
        grant = await router.acquire()
        assert grant is not None
        with lock:
            held[0] += 1
            peak[0] = max(peak[0], held[0])
        await asyncio.sleep(0.005)
        with lock:
            held[0] -= 1
        router.release(grant, OK)

    async def many() -> None:
        await asyncio.gather(*(hold() for _ in range(10)))

    threads = [threading.Thread(target=asyncio.run, args=(many(),)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3 == router.peak and router.held == 0
    assert router.stats()[0].requests == 40


def test_a_cancelled_waiter_passes_its_slot_on() -> None:
    router = Router(("http://a/v1",), ceiling=1)

    async def main() -> None:
        first = await router.acquire()
        assert first is not None
        waiter = asyncio.ensure_future(router.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        router.release(first, OK)  # granted to the cancelled waiter, which gives it back
        await asyncio.sleep(0)
        again = router.try_acquire()
        assert again
        router.release(again, OK)

    asyncio.run(main())
    assert router.held == 0 and router.stats()[0].requests == 2


def test_requests_go_to_the_endpoint_with_the_fewest_in_flight() -> None:
    router = Router(("http://a/v1", "http://b/v1", "http://c/v1"), ceiling=4)
    grants = [router.try_acquire() for _ in range(6)]
    assert [g[0].name[-4] for g in grants if g] == ["a", "b", "c", "a", "b", "c"]
    first = grants[1]
    assert first
    router.release(first, OK)  # b now has the fewest
    seventh = router.try_acquire()
    assert seventh and seventh[0].name == "http://b/v1"


def _all_slots(router: Router) -> list[tuple[Endpoint, int]]:
    grants: list[tuple[Endpoint, int]] = []
    while grant := router.try_acquire():
        grants.append(grant)
    return grants


def test_aimd_halves_once_per_window_and_grows_back_additively() -> None:
    router = Router(("http://a/v1",), ceiling=16, windows=own_window)
    for held in _all_slots(router):  # a burst of 429s answering requests sent at the old limit
        router.release(held, OVERLOADED)
    assert router.limit == 8  # halved once, not sixteen times
    assert len(_all_slots_released(router)) == 8
    for _ in range(100):  # busy rounds: every slot the window allows, then every answer fine
        _all_slots_released(router)
    assert router.limit == 16  # back at the ceiling, never above it


def _all_slots_released(router: Router) -> list[tuple[Endpoint, int]]:
    grants = _all_slots(router)
    for grant in grants:
        router.release(grant, OK)
    return grants


def test_an_idle_window_does_not_grow() -> None:
    router = Router(("http://a/v1",), ceiling=16, windows=own_window)
    for held in _all_slots(router):
        router.release(held, OVERLOADED)
    for _ in range(100):  # one request at a time: the window of 8 is not what holds anything back
        grant = router.try_acquire()
        assert grant
        router.release(grant, OK)
    assert router.limit == 8


def test_policies_on_one_server_share_its_window() -> None:
    window = ServerWindow()
    first, second = (Router(("http://a/v1",), ceiling=16, windows=lambda url: window) for _ in range(2))
    for grant in _all_slots(first):
        first.release(grant, OVERLOADED)
    assert first.limit == second.limit == 8  # the server is overloaded for both
    assert len(_all_slots(first)) == 8
    assert second.try_acquire() is False  # the other policy's requests fill the server's window


def test_aimd_never_goes_below_one_and_a_fixed_limit_does_not_move() -> None:
    adaptive = Router(("http://a/v1",), ceiling=4, windows=own_window)
    fixed = Router(("http://a/v1",), ceiling=4, adaptive=False)
    for router in (adaptive, fixed):
        for _ in range(10):
            grant = router.try_acquire()
            assert grant
            router.release(grant, OVERLOADED)
    assert (adaptive.limit, fixed.limit) == (1, 4)


def test_retry_after_holds_new_requests_back_once_one_at_a_time_is_refused() -> None:
    clock = Clock()
    router = Router(("http://a/v1",), ceiling=4, clock=clock, windows=own_window)
    for held in _all_slots(router):  # at 4 in flight: halve, no pause (fewer may do)
        router.release(held, OVERLOADED, retry_after=2.0)
    assert router.limit == 2 and router.try_acquire()
    router = Router(("http://a/v1",), ceiling=1, clock=clock, windows=own_window)
    grant = router.try_acquire()
    assert grant
    router.release(grant, OVERLOADED, retry_after=2.0)  # window 1 -> 1
    grant = router.try_acquire()
    assert grant
    router.release(grant, OVERLOADED, retry_after=2.0)  # refused at one in flight: pause
    assert router.try_acquire() is False
    clock.now += 2.5
    assert router.try_acquire()


def test_a_waiter_is_woken_when_retry_after_ends() -> None:
    router = Router(("http://a/v1",), ceiling=1, windows=own_window)

    async def main() -> float:
        for _ in range(2):  # the second refusal is at one in flight: the server is paused
            grant = await router.acquire()
            assert grant is not None
            router.release(grant, OVERLOADED, retry_after=0.05)
        loop = asyncio.get_running_loop()
        started = loop.time()
        again = await asyncio.wait_for(router.acquire(), timeout=5.0)
        assert again is not None
        router.release(again, OK)
        return loop.time() - started

    assert asyncio.run(main()) >= 0.05


def test_an_endpoint_failing_repeatedly_is_taken_out_then_probed() -> None:
    clock = Clock()
    router = Router(("http://a/v1", "http://b/v1"), ceiling=4, eject_after=3, cooldown=2.0, clock=clock)
    a = router.endpoints[0]
    for _ in range(3):
        router.release((a, 0), UNREACHABLE) if _hold(a) else None
    assert [s.down for s in router.stats()] == [True, False]
    assert all(g and g[0].name == "http://b/v1" for g in (router.try_acquire() for _ in range(4)))
    clock.now += 2.5  # back, one request at a time until one succeeds
    probe = router.try_acquire()
    assert probe and probe[0] is a and router.try_acquire() is False
    router.release(probe, OK)
    assert router.try_acquire() is not False  # a is fully in again
    assert router.stats()[0].ejections == 1


def _hold(endpoint: Endpoint) -> bool:
    endpoint.held += 1
    return True


def test_every_endpoint_out_means_no_slot_at_all() -> None:
    clock = Clock()
    router = Router(("http://a/v1", "http://b/v1"), ceiling=4, eject_after=1, clock=clock)
    for endpoint in router.endpoints:
        _hold(endpoint)
        router.release((endpoint, 0), UNREACHABLE)
    assert router.all_down() and router.try_acquire() is None
    clock.now += 60.0
    assert not router.all_down() and router.try_acquire()


def test_one_endpoint_is_never_taken_out() -> None:
    router = Router(("http://a/v1",), ceiling=4, eject_after=1)
    for _ in range(5):
        grant = router.try_acquire()
        assert grant
        router.release(grant, UNREACHABLE)
    assert not router.all_down() and router.try_acquire()


def echo_of(prompt: str) -> Echo:
    return Echo(text=prompt, tokens=(prompt,), log_probs=(None,), text_offset=(0,))


def one_endpoint(ceiling: int) -> Router:
    return Router(("http://a/v1",), ceiling=ceiling)


async def echoes(coalescer: Coalescer, prompts: Sequence[str], *, many: bool) -> list[EchoResult]:
    """The echoes of ``prompts``: one ``echo`` each, or one ``echo_many`` for all."""
    if many:
        return await coalescer.echo_many(prompts)
    return list(await asyncio.gather(*(coalescer.echo(prompt) for prompt in prompts)))


@pytest.mark.parametrize("many", [False, True])
def test_a_partial_batch_waits_for_a_slot_and_a_rejected_batch_is_split(many: bool) -> None:
    sent: list[list[str]] = []

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.01)
        if "bad" in prompts:  # the server rejects the whole request
            return [Failure(BadRequest())] * len(prompts)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> list[EchoResult]:
        coalescer = Coalescer(send=send, batch_size=3, router=one_endpoint(1), wait=0.0)
        return await echoes(coalescer, ["a", "bad", "c", "d"], many=many)

    results = asyncio.run(main())
    assert [r.map(lambda e: e.text) for r in results] == [Success("a"), Failure(BadRequest()), Success("c"), Success("d")]
    assert sent == [["a", "bad", "c"], ["a"], ["bad"], ["c"], ["d"]]


def test_a_server_that_fails_every_batch_gets_one_prompt_per_request_from_then_on() -> None:
    # llama-cpp-python's server answers a list of prompts with an empty HTTP 500.
    sent: list[list[str]] = []

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.01)
        if len(prompts) > 1:
            return [Failure(ServerError(status=500))] * len(prompts)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> tuple[list[EchoResult], bool]:
        coalescer = Coalescer(send=send, batch_size=2, router=one_endpoint(1), wait=0.0)
        first = await asyncio.gather(*(coalescer.echo(p) for p in ["a", "b"]))
        later = await asyncio.gather(*(coalescer.echo(p) for p in ["c", "d"]))
        return [*first, *later], coalescer.batching

    results, batching = asyncio.run(main())
    assert [r.map(lambda e: e.text) for r in results] == [Success("a"), Success("b"), Success("c"), Success("d")]
    assert sent == [["a", "b"], ["a"], ["b"], ["c"], ["d"]] and not batching


def dead_endpoint_send(dead: str, sent: list[tuple[str, list[str]]]) -> SendBatch:
    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        sent.append((endpoint.name, list(prompts)))
        await asyncio.sleep(0.001)
        if endpoint.name == dead:
            return [Failure(ConnectionFailed(reason="refused"))] * len(prompts)
        return [Success(echo_of(p)) for p in prompts]

    return send


@pytest.mark.parametrize(("batch_size", "many"), [(1, False), (4, False), (1, True), (4, True)])
def test_a_request_its_endpoint_did_not_answer_goes_to_another_one(batch_size: int, many: bool) -> None:
    sent: list[tuple[str, list[str]]] = []
    router = Router(("http://dead/v1", "http://live/v1"), ceiling=2, eject_after=3)

    async def main() -> list[EchoResult]:
        send = dead_endpoint_send("http://dead/v1", sent)
        coalescer = Coalescer(send=send, batch_size=batch_size, router=router, wait=0.0)
        return await echoes(coalescer, [f"p{i}" for i in range(12)], many=many)

    results = asyncio.run(main())
    assert [r.map(lambda e: e.text) for r in results] == [Success(f"p{i}") for i in range(12)]
    answered = [prompt for name, prompts in sent if name == "http://live/v1" for prompt in prompts]
    assert sorted(answered) == sorted(f"p{i}" for i in range(12))  # each once: none lost, none twice
    dead = router.stats()[0]
    # It gets requests only while the live one is full, and is taken out after 3 failures in a row.
    assert dead.failed == dead.requests <= 3 + 2


def test_a_cancelled_call_on_many_prompts_sends_none_of_those_still_waiting() -> None:
    sent: list[list[str]] = []

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        sent.append(list(prompts))
        await asyncio.sleep(0.01)
        return [Success(echo_of(p)) for p in prompts]

    async def main() -> tuple[list[EchoResult], list[EchoResult]]:
        coalescer = Coalescer(send=send, batch_size=2, router=one_endpoint(1), wait=0.0)
        # a call of one batch is sent by its own coroutine: it takes the only slot once it runs
        first = asyncio.ensure_future(coalescer.echo_many(["a", "b"]))
        await asyncio.sleep(0)
        cancelled = asyncio.ensure_future(coalescer.echo_many(["x", "y", "z"]))
        later = coalescer.echo_many(["c"])
        await asyncio.sleep(0)
        cancelled.cancel()
        return await first, await later

    first, later = asyncio.run(main())
    assert [r.map(lambda e: e.text) for r in [*first, *later]] == [Success("a"), Success("b"), Success("c")]
    assert sent == [["a", "b"], ["c"]]


@pytest.mark.parametrize("many", [False, True])
def test_with_every_endpoint_down_a_prompt_fails_with_endpoints_down(many: bool) -> None:
    sent: list[tuple[str, list[str]]] = []
    router = Router(("http://a/v1", "http://b/v1"), ceiling=2, eject_after=1)

    def down() -> EndpointsDown:
        return EndpointsDown(policy="p", endpoints=2)

    async def main() -> list[EchoResult]:
        async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
            sent.append((endpoint.name, list(prompts)))
            return [Failure(ConnectionFailed(reason="refused"))] * len(prompts)

        coalescer = Coalescer(send=send, batch_size=2, router=router, wait=0.0, down=down)
        return await echoes(coalescer, [f"p{i}" for i in range(6)], many=many)

    results = asyncio.run(main())
    assert all(isinstance(r, Failure) for r in results)
    assert Failure(EndpointsDown(policy="p", endpoints=2)) in results
    assert router.all_down() and len(sent) <= 4


def test_a_429_answer_is_overload_not_an_outage() -> None:
    router = Router(("http://a/v1", "http://b/v1"), ceiling=8, eject_after=1, windows=own_window)

    async def send(endpoint: Endpoint, prompts: Sequence[str]) -> list[EchoResult]:
        return [Failure(RateLimited(retry_after=None))] * len(prompts)

    async def main() -> list[EchoResult]:
        coalescer = Coalescer(send=send, batch_size=1, router=router, wait=0.0)
        return list(await asyncio.gather(*(coalescer.echo(f"p{i}") for i in range(4))))

    assert all(r == Failure(RateLimited(retry_after=None)) for r in asyncio.run(main()))
    assert not router.all_down() and router.limit < 16


def test_a_slot_granted_to_a_waiter_whose_loop_closed_is_taken_back() -> None:
    window = ServerWindow()
    router = Router(("http://a/v1",), ceiling=1, windows=lambda url: window)
    first = router.try_acquire()
    assert first
    closed = asyncio.new_event_loop()
    closed.close()
    router.wait_for_slot(closed, lambda grant: None)  # its loop is gone before the slot frees
    router.release(first, OK)
    assert router.held == 0 and window.held == 0 and router.stats()[0].requests == 1
