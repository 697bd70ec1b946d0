"""A challenger in the shadow of the champion: it predicts the rows of every request, and can never delay or
fail the answer.

With SHADOW_MODEL_URI set (say `models:/<model>@challenger`, the last candidate `make promote` registered),
the champion answers every request as without it; then `follow` hands the request's rows and answers to a
bounded queue and returns (microseconds, never blocking: a full queue drops the request, counted in
`shadow_dropped_total`). One thread of its own predicts them: it gathers the requests of
SHADOW_BATCH_WAIT_MS (or `max_rows` rows) into one call of the same `predict_rows` as the champion's, so the
challenger costs about one model call per interval however busy the service, and competes little with the
champion for the GIL and the CPU. Its answers go to the inference log, one entry per row like the
champion's, with `"role": "shadow"`, the same request id, its own version and the champion's; Prometheus
counts how often it agrees with the champion (metrics.py). A challenger that raises is counted in
`shadow_errors_total`; one that hangs fills its queue, and requests are dropped.

The challenger is loaded after the champion, in the background: a failure is logged, counted
(`shadow_load_failures_total`) and retried, and never makes the service unready. A challenger that is the
champion (after a promotion @challenger and @champion name the same version) is not shadowed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import task
from .inference_log import InferenceLog
from .metrics import ShadowMetrics
from .model_store import LoadedModel, ModelStore

logger = logging.getLogger(__name__)

Rows = list[dict[str, Any]]
Answers = Sequence[tuple[dict[str, Any], Any]]  # (task output, predicted) per row, as predict_rows gives
ROLE = "shadow"  # the `role` of the challenger's entries in the inference log; the champion's have none
CLOSE_WAIT_SECONDS = 5.0  # how long shutdown waits for a challenger still predicting


@dataclass(frozen=True)
class Followed:
    """A request the champion answered, waiting for the challenger."""

    request_id: str
    champion_version: str
    timestamp: str
    rows: Rows
    outputs: list[dict[str, Any]]  # the champion's answers


def same_model(challenger: LoadedModel, champion: LoadedModel) -> bool:
    """The same model: one URI, or one registry version under two aliases."""
    registered = challenger.uri.startswith("models:/") and champion.uri.startswith("models:/")
    same_version = (challenger.name, challenger.version) == (champion.name, champion.version)
    return challenger.uri == champion.uri or (registered and same_version)


class Shadow:
    def __init__(
        self,
        predict: Callable[[ModelStore], Callable[[Rows], Answers]],
        log: InferenceLog,
        metrics: ShadowMetrics,
        *,
        queue_requests: int,
        max_rows: int,
        batch_wait: float,
    ) -> None:
        self.store = ModelStore()
        self.log, self.metrics = log, metrics
        self.max_rows, self.batch_wait = max_rows, batch_wait
        self.active = False  # loaded, and not the champion itself
        self._predict = predict(self.store)
        self._queue: queue.Queue[Followed | None] = queue.Queue(maxsize=queue_requests)
        self._thread = threading.Thread(target=self._predict_forever, name="shadow", daemon=True)

    def load(self, uri: str, name: str, version: str, champion: LoadedModel) -> bool:
        """Load the challenger (True once there is nothing left to try); start its thread if it differs
        from the champion."""
        if not self.store.load(uri, name, version):
            self.metrics.load_failures.inc()
            return False
        loaded = self.store.loaded
        assert loaded is not None
        if same_model(loaded, champion):
            logger.info("the challenger %s is the champion (version %s): not shadowing", uri, loaded.version)
            self.store.loaded = None
            return True
        self.metrics.serve_model(loaded.name, loaded.version, loaded.metadata)
        self.active = True
        self._thread.start()
        return True

    def follow(
        self, request_id: str, champion_version: str, rows: Rows, outputs: list[dict[str, Any]]
    ) -> None:
        """Queue a request the champion answered for the challenger; never blocks (called on the loop)."""
        if not self.active:
            return
        timestamp = datetime.now(UTC).isoformat()
        try:
            self._queue.put_nowait(Followed(request_id, champion_version, timestamp, rows, outputs))
        except queue.Full:
            self.metrics.dropped.inc(len(rows))

    def close(self) -> None:
        """Drop what waits, let the call under way end (a few seconds at most), then stop."""
        if not self._thread.is_alive():
            return
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        self._queue.put_nowait(None)
        self._thread.join(CLOSE_WAIT_SECONDS)

    def _predict_forever(self) -> None:
        task.predict_on_one_thread()
        while (batch := self._gather()) is not None:
            self._predict_batch(batch[0])
            if batch[1]:
                return

    def _gather(self) -> tuple[list[Followed], bool] | None:
        """The requests of one call: the first to come, and those queued within `batch_wait` of it, up to
        `max_rows` rows; and whether the shadow is closing. None when closing with nothing to predict."""
        first = self._queue.get()
        if first is None:
            return None
        batch, rows = [first], len(first.rows)
        deadline = time.monotonic() + self.batch_wait
        while rows < self.max_rows and (remaining := deadline - time.monotonic()) > 0:
            try:
                following = self._queue.get(timeout=remaining)
            except queue.Empty:
                break
            if following is None:
                return batch, True
            batch.append(following)
            rows += len(following.rows)
        return batch, False

    def _predict_batch(self, batch: list[Followed]) -> None:
        loaded = self.store.loaded
        assert loaded is not None
        rows = [row for followed in batch for row in followed.rows]
        try:
            answers = self._predict(rows)
        except Exception as error:  # the challenger's failure is counted, and is never the champion's
            logger.warning("the challenger %s failed on %d rows: %r", loaded.version, len(rows), error)
            self.metrics.errors.labels(loaded.version).inc(len(rows))
            return
        outputs = [output for output, _ in answers]
        champion = [output for followed in batch for output in followed.outputs]
        self.metrics.compare(
            loaded.version, [o["prediction"] for o in champion], [o["prediction"] for o in outputs]
        )
        entries, start = [], 0
        for followed in batch:
            for output in outputs[start : start + len(followed.rows)]:
                entries.append(
                    {
                        "request_id": followed.request_id,
                        "role": ROLE,
                        "model_version": loaded.version,
                        "champion_version": followed.champion_version,
                        "timestamp": followed.timestamp,
                        "prediction": output,
                    }
                )
            start += len(followed.rows)
        self.log.record_from_thread(entries)
