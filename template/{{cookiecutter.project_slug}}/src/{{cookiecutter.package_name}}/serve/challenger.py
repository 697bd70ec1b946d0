"""The challenger's process: shadow.py starts one per worker, which loads the challenger, predicts the
requests the champion answered, writes its entries to the inference log, and reports what it predicted.

It runs at the lowest CPU priority (SCHED_IDLE, where Linux has it; else nice 19), so on a busy machine the
scheduler serves the champion first and the challenger falls behind: it takes no more requests, and its
worker drops them (counted), never waits for them. Requests come in messages of several, through a pipe,
and it says when it takes each message; it reports to its worker through another pipe, one small message per
call: the worker counts them in its metrics (the challenger holds none, so /metrics is the same with one
process or gunicorn's workers).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

from .. import task
from .inference_log import json_lines
from .model_store import ModelStore

logger = logging.getLogger(__name__)

Rows = list[dict[str, Any]]
Answers = Sequence[tuple[dict[str, Any], Any]]  # (task output, predicted) per row, as predict_rows gives
ROLE = "shadow"  # the `role` of the challenger's entries in the inference log; the champion's have none
LOG_FORMAT = "%(asctime)s [shadow %(process)d] %(levelname)s %(message)s"  # it logs to the worker's stderr
POLL_SECONDS = 0.5  # how often a challenger waiting for requests checks that it should go on


@dataclass(frozen=True)
class Challenger:
    """What the challenger's process needs, sent to it when it starts."""

    uri: str
    fallback_name: str  # of a model directory; the registry's are looked up
    fallback_version: str
    predict: Callable[[ModelStore], Callable[[Rows], Answers]]  # the champion's (app.py's predict_rows)
    inference_log: Path
    max_rows: int
    batch_wait: float
    retry_seconds: float


@dataclass(frozen=True)
class Followed:
    """A request the champion answered, waiting for the challenger."""

    request_id: str
    champion_version: str
    timestamp: str
    rows: Rows
    outputs: list[dict[str, Any]]  # the champion's answers


# What the process reports to its worker.
@dataclass(frozen=True)
class Loaded:
    name: str
    version: str
    uri: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class LoadFailed:
    pass


@dataclass(frozen=True)
class Taken:
    requests: int  # of one message: they no longer wait


@dataclass(frozen=True)
class Predicted:
    version: str
    champion: list[Any]  # the champion's `prediction` of each row
    challenger: list[Any]  # the challenger's


@dataclass(frozen=True)
class Failed:
    version: str
    rows: int


def run(challenger: Challenger, requests: Connection, stopping: Event, report: Connection) -> None:
    """The process: load (retrying), then predict what comes until told to stop or the worker is gone (its
    end of `requests` closes)."""
    lowest_priority()
    for stop in (signal.SIGINT, signal.SIGTERM):  # a Ctrl-C, or a stop sent to the group: its worker decides
        signal.signal(stop, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    task.predict_on_one_thread()
    store = ModelStore()
    while not store.load(challenger.uri, challenger.fallback_name, challenger.fallback_version):
        report.send(LoadFailed())
        if stopping.wait(challenger.retry_seconds):
            return
    loaded = store.loaded
    assert loaded is not None
    report.send(Loaded(loaded.name, loaded.version, loaded.uri, loaded.metadata))
    predict = challenger.predict(store)
    with challenger.inference_log.open("a", encoding="utf-8") as log:
        gathered = partial(gather, requests, stopping, report, challenger.max_rows, challenger.batch_wait)
        for batch in iter(gathered, None):
            report.send(predict_batch(predict, loaded.version, batch, log))


def lowest_priority() -> None:
    """Linux's SCHED_IDLE: the smallest share of a busy CPU (a fifth of nice 19's), and a worker that wakes
    takes the CPU from it at once, where at nice 19 it may wait for the challenger's slice to end. Nice 19 is
    what other systems get."""
    os.nice(19)
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def take(requests: Connection, report: Connection) -> list[Followed] | None:
    """The next message of requests, said taken; None once the worker's end is closed."""
    try:
        followed: list[Followed] = requests.recv()
    except (EOFError, OSError):
        return None
    report.send(Taken(len(followed)))
    return followed


def gather(
    requests: Connection, stopping: Event, report: Connection, max_rows: int, batch_wait: float
) -> list[Followed] | None:
    """The requests of one call: the first to come, and those that come within `batch_wait` of it, up to
    `max_rows` rows. None once the worker says stop (or is gone)."""
    batch: list[Followed] = []
    while not batch:
        if stopping.is_set():
            return None
        if requests.poll(POLL_SECONDS):  # a message, or the end
            if (first := take(requests, report)) is None:
                return None
            batch = first
    rows = sum(len(followed.rows) for followed in batch)
    deadline = time.monotonic() + batch_wait
    while rows < max_rows and (remaining := deadline - time.monotonic()) > 0 and requests.poll(remaining):
        if (following := take(requests, report)) is None:
            break  # predicted first; the next gather ends
        batch += following
        rows += sum(len(followed.rows) for followed in following)
    return batch


def predict_batch(
    predict: Callable[[Rows], Answers], version: str, batch: list[Followed], log: Any
) -> Predicted | Failed:
    rows = [row for followed in batch for row in followed.rows]
    try:
        answers = predict(rows)
    except Exception as error:  # the challenger's failure is counted, and is never the champion's
        logger.warning("the challenger %s failed on %d rows: %r", version, len(rows), error)
        return Failed(version, len(rows))
    outputs = [output for output, _ in answers]
    entries, start = [], 0
    for followed in batch:
        for output in outputs[start : start + len(followed.rows)]:
            entries.append(
                {
                    "request_id": followed.request_id,
                    "role": ROLE,
                    "model_version": version,
                    "champion_version": followed.champion_version,
                    "timestamp": followed.timestamp,
                    "prediction": output,
                }
            )
        start += len(followed.rows)
    try:  # one write per call, to a file opened for appending: lines of several processes do not interleave
        log.write(json_lines(entries))  # no features: the champion's entry of each request holds them
        log.flush()
    except OSError as error:
        logger.error("inference log: %d shadow entries not written: %s", len(entries), error)
    champion = [output["prediction"] for followed in batch for output in followed.outputs]
    return Predicted(version, champion, [output["prediction"] for output in outputs])
