"""Append every prediction to a JSON Lines file, off the request path, for drift monitoring.

Requests add their entries to a buffer and return. Every `flush_every` seconds the event loop hands the buffer
to one thread, which serializes and writes it: waking a thread for each request cost about 0.1 ms of latency
(the two threads taking turns on the GIL). Each hand-over is written with a single `write()` to a file opened
for appending, so lines from several server processes do not interleave. Closing the log (the app's shutdown)
writes what is buffered; a process killed outright loses at most its last `flush_every` seconds. Personal
features are hashed or dropped (personal.py) in that thread too, before anything reaches the disk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from pathlib import Path
from typing import Any

from .personal import PersonalData

_STOP = object()
logger = logging.getLogger(__name__)


class InferenceLog:
    def __init__(self, path: Path, flush_every: float = 0.1, personal: PersonalData | None = None) -> None:
        self.path, self.flush_every = path, flush_every
        self.personal = personal or PersonalData(())
        self._buffer: list[dict[str, Any]] = []
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_forever, name="inference-log", daemon=True)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.personal.features and self.personal.key is None:
            names = ", ".join(self.personal.features)
            logger.warning("inference log: %s dropped (no INFERENCE_LOG_HASH_KEY to hash them)", names)
        self._thread.start()

    def record(self, entries: list[dict[str, Any]]) -> None:
        """Buffer entries (called on the event loop); never blocks on the disk."""
        if not self._buffer:
            asyncio.get_running_loop().call_later(self.flush_every, self._hand_over)
        self._buffer.extend(entries)

    def close(self) -> None:
        """Write what is buffered, then stop."""
        if self._thread.is_alive():
            self._hand_over()
            self._queue.put(_STOP)
            self._thread.join()

    def _hand_over(self) -> None:
        if self._buffer:
            self._queue.put(self._buffer)
            self._buffer = []

    def _write_forever(self) -> None:
        with self.path.open("a", encoding="utf-8") as log:
            while (entries := self._queue.get()) is not _STOP:
                try:
                    log.write(json_lines(entries, self.personal))
                    log.flush()
                except Exception as error:  # a full disk, a bad entry: the writer outlives it, and says it
                    logger.error("inference log: %d entries not written: %s", len(entries), error)


def json_lines(entries: list[dict[str, Any]], personal: PersonalData | None = None) -> str:
    """The entries as the log's lines, personal features protected: one `write()` of them is atomic."""
    protected = entries if personal is None else (personal.protect(entry) for entry in entries)
    return "".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in protected)
