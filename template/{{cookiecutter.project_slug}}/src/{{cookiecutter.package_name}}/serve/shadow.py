"""A challenger in the shadow of the champion: it predicts the rows of every request, in a process of its
own, and can never delay or fail the answer.

With SHADOW_MODEL_URI set (say `models:/<model>@challenger`, the last candidate `make promote` registered),
the champion answers every request as without it; once the answer is written, the request's rows and
answers go to a bounded queue without waiting (a full queue drops the request, counted in
`shadow_dropped_total`). The challenger's process (challenger.py, one per worker) takes them, gathers the
requests of SHADOW_BATCH_WAIT_MS (or `max_rows` rows) into one call of the champion's `predict_rows`, writes
its entries to the inference log, one per row like the champion's, with `"role": "shadow"`, the same request
id, its own version and the champion's, and reports each call back: a thread of the worker counts it in
Prometheus (how often it agrees with the champion, metrics.py). A challenger that raises is counted in
`shadow_errors_total`; one that hangs fills its queue, and requests are dropped.

Why a process: in a thread of the worker, each of the challenger's calls held the GIL the champion's requests
needed, and cost the champion's p99 +14% at 8 connections and +40% at 1. In its own process it has its own
GIL, and at nice 19 the scheduler gives a busy CPU to the champion first. What stays in the worker is the
queue's thread pickling each request to the process (about 50 us of CPU) and a thread counting reports. The
process is spawned, not forked: it imports what it needs and loads its own model, and inherits neither the
champion nor the worker's threads. It writes its log entries itself (they hold no features; one `write()`
per call, as the workers do), and the worker keeps the metrics: one registry per app, which /metrics serves
the same under uvicorn, gunicorn or a test's client. Memory: one more model and Python per worker.

The challenger is loaded after the champion, in the background: a failure is logged, counted
(`shadow_load_failures_total`) and retried, and never makes the service unready. A challenger that is the
champion (after a promotion @challenger and @champion name the same version) is not shadowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any, Protocol

from . import challenger as process
from .challenger import Challenger, Failed, Followed, Loaded, LoadFailed, Predicted, Rows
from .metrics import ShadowMetrics

logger = logging.getLogger(__name__)

CLOSE_WAIT_SECONDS = 5.0  # how long shutdown waits for a challenger still predicting, before killing it


class Identified(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def uri(self) -> str: ...


def same_model(challenger: Identified, champion: Identified) -> bool:
    """The same model: one URI, or one registry version under two aliases."""
    registered = challenger.uri.startswith("models:/") and champion.uri.startswith("models:/")
    same_version = (challenger.name, challenger.version) == (champion.name, champion.version)
    return challenger.uri == champion.uri or (registered and same_version)


@dataclass(frozen=True)
class Running:
    """The challenger's process, what feeds it and what reads its reports."""

    process: SpawnProcess
    requests: Queue[Followed | None]
    stopping: Event
    reader: threading.Thread


class Shadow:
    def __init__(self, challenger: Challenger, metrics: ShadowMetrics, *, queue_requests: int) -> None:
        self.challenger, self.metrics, self.queue_requests = challenger, metrics, queue_requests
        self.loaded: Loaded | None = None  # once loaded, and not the champion
        self._running: Running | None = None

    @property
    def active(self) -> bool:
        return self.loaded is not None

    def start(self, champion: Identified) -> None:
        """Start the challenger's process; it loads the model, and is stopped if that is the champion."""
        context = multiprocessing.get_context("spawn")
        requests: Queue[Followed | None] = context.Queue(maxsize=self.queue_requests)
        stopping = context.Event()
        reports, reporting = context.Pipe(duplex=False)
        arguments = (self.challenger, requests, stopping, reporting)
        child = context.Process(target=process.run, args=arguments, name="shadow", daemon=True)
        child.start()
        reporting.close()  # the child's end: once it exits, `reports` ends too
        reader = threading.Thread(
            target=self._read, args=(reports, champion, stopping), name="shadow-reports", daemon=True
        )
        self._running = Running(child, requests, stopping, reader)
        reader.start()

    def follow(
        self, request_id: str, champion_version: str, rows: Rows, outputs: list[dict[str, Any]]
    ) -> None:
        """Queue a request the champion answered for the challenger, once its answer is sent (called on the
        loop, it never blocks)."""
        if self.loaded is None:
            return
        followed = Followed(request_id, champion_version, datetime.now(UTC).isoformat(), rows, outputs)
        # Queueing wakes the queue's thread, which pickles the request and writes it to the process: after the
        # answer is written, that thread does not compete with it for the GIL.
        asyncio.get_running_loop().call_soon(self._queue, followed)

    def _queue(self, followed: Followed) -> None:
        running = self._running
        if running is None:
            return
        try:
            running.requests.put_nowait(followed)
        except queue.Full:
            self.metrics.dropped.inc(len(followed.rows))

    def close(self) -> None:
        """Let the call under way end (a few seconds at most; else the process is killed), drop what waits."""
        running, self._running = self._running, None
        if running is None:
            return
        self.loaded = None
        running.stopping.set()
        with contextlib.suppress(queue.Full):
            running.requests.put_nowait(None)  # wakes a process waiting for requests
        running.process.join(CLOSE_WAIT_SECONDS)
        if running.process.is_alive():
            logger.warning("the challenger did not stop within %.0f s: killed", CLOSE_WAIT_SECONDS)
            running.process.kill()
            running.process.join()
        running.reader.join()  # its reports end with the process
        # With the process gone, what is still queued fails to send at once; then the queue and the event
        # are freed here, which unlinks their semaphores (at exit, multiprocessing would report them leaked).
        running.requests.close()
        running.requests.join_thread()

    def _read(self, reports: Connection, champion: Identified, stopping: Event) -> None:
        """Count what the challenger's process reports, until it exits."""
        with reports:
            while True:
                try:
                    report = reports.recv()
                except (EOFError, OSError):
                    break
                self._count(report, champion, stopping)
        if self.loaded is not None:  # it ended without being told to
            logger.error("the challenger's process ended: not shadowing")
            self.loaded = None

    def _count(
        self, report: Loaded | LoadFailed | Predicted | Failed, champion: Identified, stopping: Event
    ) -> None:
        if isinstance(report, LoadFailed):
            self.metrics.load_failures.inc()
        elif isinstance(report, Loaded):
            if same_model(report, champion):
                logger.info("not shadowing %s: it is the champion (version %s)", report.uri, report.version)
                stopping.set()
                return
            self.metrics.serve_model(report.name, report.version, report.metadata)
            self.loaded = report
        elif isinstance(report, Predicted):
            self.metrics.compare(report.version, report.champion, report.challenger)
        else:
            self.metrics.errors.labels(report.version).inc(report.rows)
