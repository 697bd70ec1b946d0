"""Append every prediction to a JSON Lines file, off the request path, for drift monitoring.

Requests put entries on a queue and return; one thread writes them. Each batch is written with a single
`write()` to a file opened for appending, so lines from several server processes do not interleave.
"""

from __future__ import annotations

import json
import queue
import threading
from pathlib import Path
from typing import Any

_STOP = object()


class InferenceLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_forever, name="inference-log", daemon=True)

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def record(self, entries: list[dict[str, Any]]) -> None:
        """Queue entries; never blocks on the disk."""
        self._queue.put(entries)

    def close(self) -> None:
        """Write what is queued, then stop."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _write_forever(self) -> None:
        with self.path.open("a", encoding="utf-8") as log:
            while (entries := self._queue.get()) is not _STOP:
                log.write("".join(json.dumps(entry, separators=(",", ":")) + "\n" for entry in entries))
                log.flush()
