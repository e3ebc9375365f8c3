"""``Coalescer``: merge concurrent single-prompt calls on one event loop into batched requests.

Each call still gets its own ``Result``. Calls made in the same loop iteration
are sent together, up to ``batch_size`` prompts per request, and a request
starts only when the policy's ``Router`` grants it a slot on one of its
endpoints. A request its endpoint did not answer (refused, dropped, timed
out) is sent again at once to another endpoint, if the policy has one. When a server
rejects a whole batch as a bad request (for example one prompt is too long),
each prompt is sent again on its own, so only the bad one fails. When a server
fails a whole batch with a server error or an answer that does not fit it
(llama-cpp-python's server answers any list of prompts with an empty HTTP
500), its prompts are sent again one by one, and so is every later prompt:
batching is off for that endpoint.

>>> import asyncio
>>> from returns.result import Success
>>> from cje_fp.backends.openai._completions import Echo
>>> sent: list[list[str]] = []
>>> async def send(endpoint, prompts):
...     sent.append(list(prompts))
...     return [Success(Echo(text=p, tokens=(p,), log_probs=(None,), text_offset=None)) for p in prompts]
>>> async def main():
...     coalescer = Coalescer(send=send, batch_size=4, router=Router(("http://a/v1",), ceiling=8))
...     return await asyncio.gather(*(coalescer.echo(str(i)) for i in range(6)))
>>> [echo.map(lambda e: e.text) for echo in asyncio.run(main())][:2], sent
([<Success: 0>, <Success: 1>], [['0', '1', '2', '3'], ['4', '5']])
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Final, TypeAlias

from returns.result import Failure, Success

from cje_fp.backends.openai._completions import EchoResult
from cje_fp.backends.openai._router import OK, OVERLOADED, UNREACHABLE, Endpoint, Grant, Outcome, Router
from cje_fp.backends.openai._waiters import Group, Slot, Span, Waiter, waiters
from cje_fp.errors import (
    BadRequest,
    ConnectionFailed,
    LogProbError,
    MalformedResponse,
    RateLimited,
    ServerError,
    Timeout,
    TokenLimitExceeded,
    crashed,
    sealed,
)

logger: Final = logging.getLogger("cje_fp.backends.openai")

SendBatch: TypeAlias = Callable[[Endpoint, Sequence[str]], Awaitable[list[EchoResult]]]
"""Send one request for these prompts to this endpoint; one result per prompt, in order."""


def _rejected_whole(results: Sequence[EchoResult]) -> bool:
    """Whether a batch failed as a whole with an error one prompt may have caused."""
    for result in results:
        match sealed(result):
            case Failure(BadRequest() | TokenLimitExceeded()):
                continue
            case _:
                return False
    return True


def _batch_unsupported(results: Sequence[EchoResult]) -> bool:
    """Whether a batch failed as a whole in a way a server that takes one prompt per
    request fails it: a server error, or an answer that does not fit the batch."""
    for result in results:
        match sealed(result):
            case Failure(ServerError() | MalformedResponse()):
                continue
            case _:
                return False
    return True


def outcome_of(results: Sequence[EchoResult]) -> tuple[Outcome, float | None]:
    """How a request ended for its endpoint (and the Retry-After it asked for): a request that
    failed as a whole with 429/503 says slow down, with a refused, dropped or timed-out
    connection says the endpoint may be gone; anything the server answered is fine."""
    first = results[0]
    if isinstance(first, Success):
        return OK, None
    match sealed(first):
        case Failure(RateLimited(retry_after=retry_after)):
            return OVERLOADED, retry_after
        case Failure(ServerError(status=503)):
            return OVERLOADED, None
        case Failure(ConnectionFailed() | Timeout()):
            return UNREACHABLE, None
        case _:
            return OK, None


class Coalescer:
    """Batches ``echo`` calls made on one event loop (create it inside that loop).

    A partial batch waits at most ``wait`` seconds for more prompts (0: only
    the calls of the current loop iteration); a full one leaves at once.
    ``down`` is the error of a prompt that cannot be sent because every
    endpoint is taken out.
    """

    def __init__(
        self,
        *,
        send: SendBatch,
        batch_size: int,
        router: Router,
        wait: float = 0.0,
        down: Callable[[], LogProbError] | None = None,
    ) -> None:
        self._send = send
        self._batch_size = batch_size
        self._router = router
        self._failovers = len(router.endpoints) - 1
        self._wait = wait
        self._down = down if down is not None else _no_endpoint
        self._loop = asyncio.get_running_loop() if batch_size > 1 else None
        # Pending prompts and their callers' futures, side by side (no object per call).
        self._prompts: deque[str] = deque()
        self._futures: deque[Waiter] = deque()
        self._solo: set[Waiter] = set()  # to be sent alone (their batch was rejected)
        self._moved: dict[Waiter, int] = {}  # how often a prompt was sent to another endpoint
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._waiting = False
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def batching(self) -> bool:
        """Whether prompts may still be sent several to a request."""
        return self._batch_size > 1

    def echo(self, prompt: str) -> Awaitable[EchoResult]:
        """The echo of ``prompt``, sent alone or with other pending prompts.

        A plain method returning what to await (a coroutine when unbatched,
        else the prompt's future): no coroutine object per batched call.
        """
        if self._loop is None:
            return self._echo_alone(prompt)
        future: asyncio.Future[EchoResult] = self._loop.create_future()
        self._prompts.append(prompt)
        self._futures.append(future)
        if len(self._futures) >= self._batch_size:
            self._dispatch(flush=False)
        else:
            self._arm_timer()
        return future

    def echo_many(self, prompts: Sequence[str]) -> Awaitable[list[EchoResult]]:
        """The echoes of ``prompts``, in order: ``echo`` on each, with one future for all
        of them instead of one per prompt.

        A call of exactly one batch to a policy with one endpoint is sent from the caller's
        own coroutine when a slot is free (a task less per request).
        """
        if self._loop is None:
            return asyncio.gather(*map(self._echo_alone, prompts))
        if len(prompts) == self._batch_size and not self._failovers:
            return self._echo_batch(prompts)
        return self._echo_queued(prompts)

    async def _echo_batch(self, prompts: Sequence[str]) -> list[EchoResult]:
        if not self._futures and not self._waiting:
            grant = self._router.try_acquire()
            if grant:  # held from here: ``_run`` gives it back, however it ends
                assert self._loop is not None
                future: asyncio.Future[list[EchoResult]] = self._loop.create_future()
                try:
                    await self._run(grant, list(prompts), Span(Group(future, len(prompts)), 0, len(prompts)))
                    return await future
                except BaseException:  # cancelled: the prompts it put back in the queue are not sent
                    future.cancel()
                    raise
        return await self._echo_queued(prompts)

    def _echo_queued(self, prompts: Sequence[str]) -> asyncio.Future[list[EchoResult]]:
        assert self._loop is not None
        future: asyncio.Future[list[EchoResult]] = self._loop.create_future()
        if not prompts:
            future.set_result([])
            return future
        group = Group(future, len(prompts))
        sent = self._send_spans(group, prompts) if not self._futures and not self._waiting else 0
        if sent < len(prompts):
            self._prompts.extend(prompts[sent:])
            self._futures.extend([Slot(group, index) for index in range(sent, len(prompts))])
            if len(self._futures) >= self._batch_size:
                self._dispatch(flush=False)
            else:
                self._arm_timer()
        return future

    def _send_spans(self, group: Group, prompts: Sequence[str]) -> int:
        """With no prompt waiting, send full batches of ``prompts`` while slots are free, one
        waiter per request (what ``_dispatch`` would send, without queueing each prompt); how
        many prompts went. The rest join the queue."""
        size, sent = self._batch_size, 0
        while len(prompts) - sent >= size:
            grant = self._router.try_acquire()
            if not grant:  # no free slot, or no endpoint: the queue's path deals with both
                break
            self._start(grant, list(prompts[sent : sent + size]), Span(group, sent, size))
            sent += size
        return sent

    async def _echo_alone(self, prompt: str) -> EchoResult:
        router = self._router
        moves = 0
        while True:
            grant = router.try_acquire()
            if grant is False:
                grant = await router.acquire()
            if grant is None:
                return Failure(self._down())
            try:
                results = await self._send(grant[0], (prompt,))
            except BaseException:
                router.release(grant, OK)
                raise
            if isinstance(results[0], Success):
                router.release(grant, OK)
                return results[0]
            outcome, retry_after = outcome_of(results)
            router.release(grant, outcome, retry_after=retry_after)
            if outcome != UNREACHABLE or moves >= self._failovers:
                return results[0]
            moves += 1

    def _arm_timer(self) -> None:
        if self._timer is None and self._futures and not self._waiting:
            assert self._loop is not None
            if self._wait > 0:
                self._timer = self._loop.call_later(self._wait, self._flush)
            else:
                self._timer = self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._timer = None
        self._dispatch(flush=True)

    def _dispatch(self, *, flush: bool) -> None:
        """Launch full batches (and a partial one if ``flush``) while slots are free."""
        while not self._waiting and (len(self._futures) >= self._batch_size or (flush and self._futures)):
            grant = self._router.try_acquire()
            if grant is False:
                assert self._loop is not None
                self._waiting = True
                self._router.wait_for_slot(self._loop, self._granted)
            else:
                self._launch(grant)
        self._arm_timer()

    def _granted(self, grant: Grant) -> None:
        # The pending prompts have waited for a slot: send them, full or not.
        self._waiting = False
        self._launch(grant)
        self._dispatch(flush=False)

    def _take(self) -> tuple[list[str], list[Waiter]]:
        prompts: list[str] = []
        futures: list[Waiter] = []
        pending, waiting, solo = self._prompts, self._futures, self._solo
        while waiting and len(futures) < self._batch_size:
            future = waiting[0]
            if future.done():  # its caller was cancelled
                pending.popleft()
                waiting.popleft()
                solo.discard(future)
                self._moved.pop(future, None)
                continue
            alone = future in solo
            if alone and futures:
                break
            prompts.append(pending.popleft())
            futures.append(waiting.popleft())
            if alone:
                solo.discard(future)
                break
        return prompts, futures

    def _launch(self, grant: Grant) -> None:
        """Start one request with the slot just granted (or give the slot back); with no slot
        because every endpoint is down, fail every pending prompt."""
        if grant is None:
            error = self._down()
            while self._futures:
                _, futures = self._take()
                self._settle(futures, [Failure(error)] * len(futures))
            return
        prompts, futures = self._take()
        if not futures:
            self._router.release(grant, OK, count=False)
            return
        self._start(grant, prompts, futures)

    def _start(self, grant: tuple[Endpoint, int], prompts: list[str], waiting: list[Waiter] | Span) -> None:
        assert self._loop is not None
        task = self._loop.create_task(self._run(grant, prompts, waiting))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _requeue(self, prompts: list[str], futures: list[Waiter], *, solo: bool) -> None:
        """Put prompts back at the head of the queue, in order, and send them again."""
        for prompt, future in zip(reversed(prompts), reversed(futures), strict=True):
            self._prompts.appendleft(prompt)
            self._futures.appendleft(future)
            if solo:
                self._solo.add(future)
        self._dispatch(flush=True)

    def _settle(self, futures: list[Waiter] | Span, results: Sequence[EchoResult]) -> None:
        if isinstance(futures, Span):
            futures.fill(results)
            return
        moved = self._moved
        for future, result in zip(futures, results, strict=True):
            if moved:
                moved.pop(future, None)
            if not future.done():
                future.set_result(result)

    async def _run(self, grant: tuple[Endpoint, int], prompts: list[str], futures: list[Waiter] | Span) -> None:
        outcome: Outcome = OK
        retry_after: float | None = None
        try:
            results = await self._send(grant[0], prompts)
            if not isinstance(results[0], Success):
                outcome, retry_after = outcome_of(results)
        except Exception as error:
            results = [Failure(crashed(error))] * len(prompts)
        finally:
            self._router.release(grant, outcome, retry_after=retry_after)
        if outcome == UNREACHABLE and self._failovers:
            self._move(prompts, waiters(futures), results)
            return
        if len(prompts) > 1 and _batch_unsupported(results):
            if self._batch_size > 1:
                logger.warning("a batch of %d prompts failed as a whole: sending one prompt per request", len(prompts))
            self._batch_size = 1
        if len(prompts) > 1 and (self._batch_size == 1 or _rejected_whole(results)):
            self._requeue(prompts, waiters(futures), solo=True)
            return
        self._settle(futures, results)

    def _move(self, prompts: list[str], futures: list[Waiter], results: Sequence[EchoResult]) -> None:
        """Send a batch its endpoint did not answer to another endpoint (each prompt at most once
        per other endpoint; a prompt moved that often keeps its error). The router picks it: the
        free endpoint with no failure in a row and the fewest in flight, so the failing one only
        when no other has a free slot."""
        moved = self._moved
        again: tuple[list[str], list[Waiter]] = ([], [])
        done: tuple[list[Waiter], list[EchoResult]] = ([], [])
        for prompt, future, result in zip(prompts, futures, results, strict=True):
            count = moved.get(future, 0)
            if count < self._failovers:
                moved[future] = count + 1
                again[0].append(prompt)
                again[1].append(future)
            else:
                done[0].append(future)
                done[1].append(result)
        self._settle(*done)
        if again[1]:
            self._requeue(*again, solo=False)


def _no_endpoint() -> LogProbError:
    return ConnectionFailed(reason="no endpoint can take the request")
