"""API keys: with API_KEYS_FILE set, /predict and /invocations require `Authorization: Bearer <key>`.

The file holds one key per line (blank lines and `#` comments are skipped); in Kubernetes it is a Secret
mounted as a file. It is read again when it changes (its modification time, size or inode), checked at most
once a second, so a rotated key takes effect without a restart; if a changed file cannot be read, the keys
read last stay in force. An empty file admits nobody. Keys are compared in constant time, every key each
time, and are never logged or echoed. /health, /ready, /ping, /version and /metrics stay open: probes and
Prometheus carry no key.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from pathlib import Path

from ..errors import ProjectError

CHECK_EVERY_SECONDS = 1.0


class ApiKeys:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._checked = 0.0
        self._stamp: tuple[int, int, int] | None = None
        self._keys: tuple[bytes, ...] = ()
        if not self._reload():
            raise ProjectError(f"{path}: API_KEYS_FILE cannot be read (one key per line)")

    def _reload(self) -> bool:
        """Read the file if it changed since it was last read; False if it cannot be read."""
        try:
            status = os.stat(self.path)
            stamp = (status.st_mtime_ns, status.st_size, status.st_ino)
            if stamp == self._stamp:
                return True
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return False
        self._keys = tuple(
            line.strip().encode() for line in lines if line.strip() and not line.lstrip().startswith("#")
        )
        self._stamp = stamp
        return True

    def keys(self) -> tuple[bytes, ...]:
        now = time.monotonic()
        if now - self._checked >= CHECK_EVERY_SECONDS:
            with self._lock:
                if now - self._checked >= CHECK_EVERY_SECONDS:
                    self._reload()
                    self._checked = now
        return self._keys

    def admits(self, token: str) -> bool:
        """Whether `token` (of `Authorization: Bearer <token>`) is one of the keys."""
        offered = token.strip().encode()
        matched = False
        for key in self.keys():  # no early exit: the time taken says nothing about which key was close
            matched |= hmac.compare_digest(offered, key)
        return bool(offered) and matched
