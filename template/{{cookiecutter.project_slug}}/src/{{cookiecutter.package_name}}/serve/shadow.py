"""A challenger in the shadow of the champion: it predicts the rows of every request, in a process of its
own, and can never delay or fail the answer.

With SHADOW_MODEL_URI set (say `models:/<model>@challenger`, the last candidate `make promote` registered),
the champion answers every request as without it; then the request's rows and answers are set aside for the
challenger without waiting, unless SHADOW_QUEUE_REQUESTS requests already wait for it: then the request is
dropped, counted in `shadow_dropped_total`. The challenger's process (challenger.py, one per worker) takes
them, gathers the requests of SHADOW_BATCH_WAIT_MS (or `max_rows` rows) into one call of the champion's
`predict_rows`, writes its entries to the inference log, one per row like the champion's, with
`"role": "shadow"`, the same request id, its own version and the champion's, and reports each call back: the
worker counts it in Prometheus (how often it agrees with the champion, metrics.py). A challenger that raises
is counted in `shadow_errors_total`; one that hangs takes nothing more, and requests are dropped.

Why a process: in a thread of the worker, each of the challenger's calls held the GIL the champion's requests
needed, and cost the champion's p99 +14% at 8 connections and +40% at 1. In its own process it has its own
GIL, and at the lowest priority (SCHED_IDLE) the scheduler gives a CPU to the champion whenever it wants one.

Why no thread in the worker either: a `multiprocessing.Queue` pickles each request in a thread of its own,
which took the GIL from the event loop once per request, and a thread reading the reports took it once per
report: what was left of the champion's p99 cost. Both ends of the process are now pipes on the event loop
itself (asyncio's pipe transports: they never block, and write what the pipe takes when it takes it). The
requests set aside are sent every SEND_EVERY_SECONDS, pickled together in one message, framed as
`multiprocessing.connection.Connection` frames them, so the process reads them with `recv()`. It reports
each message it takes, so the worker knows how many wait without asking.

The process is spawned, not forked: it imports what it needs and loads its own model, and inherits neither
the champion nor the worker's threads. It writes its log entries itself (they hold no features; one
`write()` per call, as the workers do), and the worker keeps the metrics: one registry per app, which
/metrics serves the same under uvicorn, gunicorn or a test's client. Memory: one more model and Python per
worker.

The challenger is loaded after the champion, in the background: a failure is logged, counted
(`shadow_load_failures_total`) and retried, and never makes the service unready. A challenger that is the
champion (after a promotion @challenger and @champion name the same version) is not shadowed.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import pickle
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.context import SpawnProcess
from multiprocessing.synchronize import Event
from typing import Any, Protocol

from . import challenger as process
from .challenger import Challenger, Failed, Followed, Loaded, LoadFailed, Predicted, Rows, Taken
from .metrics import ShadowMetrics

logger = logging.getLogger(__name__)

SEND_EVERY_SECONDS = 0.01  # the requests set aside within 10 ms go to the challenger in one message
CLOSE_WAIT_SECONDS = 5.0  # how long shutdown waits for a challenger still predicting, before killing it
FRAME = struct.Struct("!i")  # the length before each message, as multiprocessing's Connection writes it

Report = Loaded | LoadFailed | Taken | Predicted | Failed


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


def framed(message: object) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(payload)) + payload


class Reports(asyncio.Protocol):
    """The process's reports, as its `Connection.send` frames them: a length, then the pickle."""

    def __init__(self, received: Callable[[Report], None], ended: Callable[[], None]) -> None:
        self.received, self.ended = received, ended
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= FRAME.size:
            (size,) = FRAME.unpack_from(self.buffer)
            end = FRAME.size + size
            if len(self.buffer) < end:
                return
            report = pickle.loads(self.buffer[FRAME.size : end])  # from the process this worker spawned
            del self.buffer[:end]
            self.received(report)

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended()


@dataclass
class Running:
    """The challenger's process and the two pipes to it, once connected to the event loop."""

    process: SpawnProcess
    stopping: Event
    requests: asyncio.WriteTransport | None = None
    reports: asyncio.ReadTransport | None = None


class Shadow:
    def __init__(self, challenger: Challenger, metrics: ShadowMetrics, *, queue_requests: int) -> None:
        self.challenger, self.metrics, self.queue_requests = challenger, metrics, queue_requests
        self.loaded: Loaded | None = None  # once loaded, and not the champion
        self._running: Running | None = None
        self._set_aside: list[Followed] = []  # to send with the next message
        self._sending: asyncio.TimerHandle | None = None
        self._waiting = 0  # requests sent that the process has not taken yet

    @property
    def active(self) -> bool:
        return self.loaded is not None

    async def start(self, champion: Identified) -> None:
        """Start the challenger's process; it loads the model, and is stopped if that is the champion."""
        context = multiprocessing.get_context("spawn")
        stopping = context.Event()
        taking, requests = context.Pipe(duplex=False)
        reports, reporting = context.Pipe(duplex=False)
        arguments = (self.challenger, taking, stopping, reporting)
        child = context.Process(target=process.run, args=arguments, name="shadow", daemon=True)
        child.start()  # a few milliseconds: the process starts, then imports and loads on its own
        taking.close()  # the child's ends: once it exits, `reports` ends too
        reporting.close()
        self._running = running = Running(child, stopping)
        loop = asyncio.get_running_loop()
        running.requests, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, requests)
        running.reports, _ = await loop.connect_read_pipe(
            lambda: Reports(lambda report: self._count(report, champion, stopping), self._ended), reports
        )

    def follow(
        self, request_id: str, champion_version: str, rows: Rows, outputs: list[dict[str, Any]]
    ) -> None:
        """Set a request the champion answered aside for the challenger (called on the loop, it never
        blocks): it is sent with the others of the next SEND_EVERY_SECONDS, after the answer."""
        if self.loaded is None:
            return
        if self._waiting + len(self._set_aside) >= self.queue_requests:
            self.metrics.dropped.inc(len(rows))
            return
        timestamp = datetime.now(UTC).isoformat()
        self._set_aside.append(Followed(request_id, champion_version, timestamp, rows, outputs))
        if self._sending is None:
            self._sending = asyncio.get_running_loop().call_later(SEND_EVERY_SECONDS, self._send)

    def _send(self) -> None:
        self._sending = None
        followed, self._set_aside = self._set_aside, []
        running = self._running
        if running is None or running.requests is None or running.requests.is_closing():
            self.metrics.dropped.inc(sum(len(request.rows) for request in followed))
            return
        running.requests.write(framed(followed))  # what the pipe cannot take now, the loop writes later
        self._waiting += len(followed)

    async def close(self) -> None:
        """Let the call under way end (a few seconds at most; else the process is killed), drop what waits."""
        running, self._running = self._running, None
        if running is None:
            return
        self.loaded = None
        if self._sending is not None:
            self._sending.cancel()
            self._sending = None
        self._set_aside.clear()
        running.stopping.set()
        if running.requests is not None and not running.requests.is_closing():
            running.requests.abort()  # what is not written yet is dropped; the process reads to the end
        await asyncio.get_running_loop().run_in_executor(None, stop, running.process)
        if running.reports is not None and not running.reports.is_closing():  # closed at the process's end
            running.reports.close()

    def _ended(self) -> None:
        if self.loaded is not None:  # it ended without being told to
            logger.error("the challenger's process ended: not shadowing")
            self.loaded = None

    def _count(self, report: Report, champion: Identified, stopping: Event) -> None:
        if isinstance(report, Taken):
            self._waiting -= report.requests
        elif isinstance(report, Predicted):
            self.metrics.compare(report.version, report.champion, report.challenger)
        elif isinstance(report, Failed):
            self.metrics.errors.labels(report.version).inc(report.rows)
        elif isinstance(report, LoadFailed):
            self.metrics.load_failures.inc()
        elif same_model(report, champion):
            logger.info("not shadowing %s: it is the champion (version %s)", report.uri, report.version)
            stopping.set()
        else:
            self.metrics.serve_model(report.name, report.version, report.metadata)
            self.loaded = report


def stop(child: SpawnProcess) -> None:
    child.join(CLOSE_WAIT_SECONDS)
    if child.is_alive():
        logger.warning("the challenger did not stop within %.0f s: killed", CLOSE_WAIT_SECONDS)
        child.kill()
        child.join()
