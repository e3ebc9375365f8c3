"""``Coalescer``: merge concurrent single-prompt calls on one event loop into batched requests.

Each call still gets its own ``Result``. Calls made in the same loop iteration
are sent together, up to ``batch_size`` prompts per request, and a request
starts only when the shared ``SlotLimiter`` grants it a slot. When a server
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
>>> async def send(prompts):
...     sent.append(list(prompts))
...     return [Success(Echo(text=p, tokens=(p,), log_probs=(None,), text_offset=None)) for p in prompts]
>>> async def main():
...     coalescer = Coalescer(send=send, batch_size=4, limiter=SlotLimiter(limit=8))
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

from returns.result import Failure

from cje_fp.backends.openai._completions import EchoResult
from cje_fp.backends.openai._limiter import SlotLimiter
from cje_fp.errors import BadRequest, MalformedResponse, ServerError, TokenLimitExceeded, crashed, sealed

logger: Final = logging.getLogger("cje_fp.backends.openai")

SendBatch: TypeAlias = Callable[[Sequence[str]], Awaitable[list[EchoResult]]]
"""Send one request for these prompts; one result per prompt, in order."""


_Waiter: TypeAlias = "asyncio.Future[EchoResult]"


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


class Coalescer:
    """Batches ``echo`` calls made on one event loop (create it inside that loop).

    A partial batch waits at most ``wait`` seconds for more prompts (0: only
    the calls of the current loop iteration); a full one leaves at once.
    """

    def __init__(
        self, *, send: SendBatch, batch_size: int, limiter: SlotLimiter, wait: float = 0.0
    ) -> None:
        self._send = send
        self._batch_size = batch_size
        self._limiter = limiter
        self._wait = wait
        self._loop = asyncio.get_running_loop() if batch_size > 1 else None
        # Pending prompts and their callers' futures, side by side (no object per call).
        self._prompts: deque[str] = deque()
        self._futures: deque[_Waiter] = deque()
        self._solo: set[_Waiter] = set()  # to be sent alone (their batch was rejected)
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

    async def _echo_alone(self, prompt: str) -> EchoResult:
        limiter = self._limiter
        if not limiter.try_acquire():
            await limiter.acquire()
        try:
            return (await self._send((prompt,)))[0]
        finally:
            limiter.release()

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
        while not self._waiting and (
            len(self._futures) >= self._batch_size or (flush and self._futures)
        ):
            if self._limiter.try_acquire():
                self._launch()
            else:
                assert self._loop is not None
                self._waiting = True
                self._limiter.wait_for_slot(self._loop, self._granted)
        self._arm_timer()

    def _granted(self) -> None:
        # The pending prompts have waited for a slot: send them, full or not.
        self._waiting = False
        self._launch()
        self._dispatch(flush=False)

    def _take(self) -> tuple[list[str], list[_Waiter]]:
        prompts: list[str] = []
        futures: list[_Waiter] = []
        pending, waiting, solo = self._prompts, self._futures, self._solo
        while waiting and len(futures) < self._batch_size:
            future = waiting[0]
            if future.done():  # its caller was cancelled
                pending.popleft()
                waiting.popleft()
                solo.discard(future)
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

    def _launch(self) -> None:
        """Start one request with the slot just acquired (or give the slot back)."""
        prompts, futures = self._take()
        if not futures:
            self._limiter.release()
            return
        assert self._loop is not None
        task = self._loop.create_task(self._run(prompts, futures))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, prompts: list[str], futures: list[_Waiter]) -> None:
        try:
            results = await self._send(prompts)
        except Exception as error:
            results = [Failure(crashed(error))] * len(futures)
        finally:
            self._limiter.release()
        if len(futures) > 1 and _batch_unsupported(results):
            if self._batch_size > 1:
                logger.warning("a batch of %d prompts failed as a whole: sending one prompt per request", len(futures))
            self._batch_size = 1
        if len(futures) > 1 and (self._batch_size == 1 or _rejected_whole(results)):
            for prompt, future in zip(reversed(prompts), reversed(futures), strict=True):
                self._prompts.appendleft(prompt)
                self._futures.appendleft(future)
                self._solo.add(future)
            self._dispatch(flush=True)
            return
        for future, result in zip(futures, results, strict=True):
            if not future.done():
                future.set_result(result)
