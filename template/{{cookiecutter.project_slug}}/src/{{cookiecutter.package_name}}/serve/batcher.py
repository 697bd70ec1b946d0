"""Micro-batching: the model predicts together the requests that queue while it is busy.

A forest's cost per call hardly depends on the rows (one row or 128 take about the same time), and two threads
predicting at once only fight for the GIL. So each server process predicts in one thread of its own, one call
at a time, and each call takes every request waiting, up to `max_rows` rows: alone, a request is predicted at
once; under load, requests share calls. `max_wait` (seconds) lets a call wait for more requests until it has
`max_rows` rows; 0 takes only those already queued. A request is never split, and each gets its own answer.

While requests come one at a time (this call and the one before it each of one row), the event loop calls
the model itself: handing a row to the thread and back costs about 0.1 ms, and nothing is queued for the loop
to read meanwhile. As soon as a call holds several rows, calls go back to the thread, so that under load the
loop keeps reading the requests of the next call while the model predicts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

Rows = list[dict[str, Any]]
Predict = Callable[[Rows], Sequence[Any]]  # one answer per row


class PredictionFailed(Exception):
    """The model raised on this request's rows, predicted alone."""


@dataclass
class Waiting:
    rows: Rows
    answer: asyncio.Future[Sequence[Any]] = field(repr=False)


class MicroBatcher:
    def __init__(
        self,
        predict: Predict,
        max_rows: int,
        max_wait: float = 0.0,
        observe_batch: Callable[[int], None] = lambda rows: None,
        prepare_thread: Callable[[], None] = lambda: None,
    ) -> None:
        self.predict_rows, self.max_rows, self.max_wait = predict, max_rows, max_wait
        self.observe_batch = observe_batch
        self._queue: deque[Waiting] = deque()
        self._queued_rows = 0
        self._enough = asyncio.Event()
        self._draining: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="predict", initializer=prepare_thread
        )
        self._one_at_a_time = True  # the last call was of one row

    async def predict(self, rows: Rows) -> Sequence[Any]:
        """The model's output for `rows`, from a call shared with the requests queued with them."""
        waiting = Waiting(rows, asyncio.get_running_loop().create_future())
        self._queue.append(waiting)
        self._queued_rows += len(rows)
        if self._queued_rows >= self.max_rows:
            self._enough.set()
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain())
        return await waiting.answer

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    async def _drain(self) -> None:
        while self._queue:
            if self.max_wait > 0 and self._queued_rows < self.max_rows:
                self._enough.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._enough.wait(), self.max_wait)
            await self._run(self._take())

    def _take(self) -> list[Waiting]:
        """The oldest requests, as many as fit in `max_rows` rows (always at least one)."""
        batch = [self._queue.popleft()]
        rows = len(batch[0].rows)
        while self._queue and rows + len(self._queue[0].rows) <= self.max_rows:
            batch.append(self._queue.popleft())
            rows += len(batch[-1].rows)
        self._queued_rows -= rows
        return batch

    async def _run(self, batch: list[Waiting]) -> None:
        loop = asyncio.get_running_loop()
        rows = [row for waiting in batch for row in waiting.rows]
        on_the_loop = self._one_at_a_time and len(rows) == 1
        self._one_at_a_time = len(rows) == 1
        try:
            if on_the_loop:
                outputs = self.predict_rows(rows)
            else:
                outputs = await loop.run_in_executor(self._executor, self.predict_rows, rows)
        except Exception:
            if len(batch) == 1:
                logger.exception("the model failed on a request of %d rows", len(rows))
                if not batch[0].answer.done():  # done: its client has gone and the request was cancelled
                    batch[0].answer.set_exception(PredictionFailed())
                return
            # One request may have broken the call: predict each alone, so the others still get answers.
            for waiting in batch:
                await self._run([waiting])
            return
        self.observe_batch(len(rows))
        start = 0
        for waiting in batch:
            if not waiting.answer.done():
                waiting.answer.set_result(outputs[start : start + len(waiting.rows)])
            start += len(waiting.rows)
