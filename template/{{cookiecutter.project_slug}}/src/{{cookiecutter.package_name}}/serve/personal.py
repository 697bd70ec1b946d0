"""Personal features in the inference log: never their raw values; a keyed hash, or nothing without a key.

features.py's PERSONAL_FEATURES names them. With a key (INFERENCE_LOG_HASH_KEY, or a file named by
INFERENCE_LOG_HASH_KEY_FILE: a mounted Secret), each value is logged as HMAC-SHA256 under that key: the same
value gives the same hash, so log lines of one person can still be joined and counted, but without the key
nobody can tell which value it was. Without a key the values are dropped (logged as null): a plain hash of a
low-entropy value (a gender, an age) is reversed by hashing every candidate. Each entry says which it was,
`"personal": {"features": [...], "as": "hmac-sha256" | "dropped"}`. A missing value stays null either way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProjectError

HASHED, DROPPED = "hmac-sha256", "dropped"
MIN_KEY_BYTES = 16  # a short key could be guessed: every candidate value hashed under every short key


def hash_key_from_env() -> bytes | None:
    """INFERENCE_LOG_HASH_KEY, else what the file INFERENCE_LOG_HASH_KEY_FILE names holds; None if unset."""
    name, key = "INFERENCE_LOG_HASH_KEY", os.environ.get("INFERENCE_LOG_HASH_KEY", "")
    if not key and os.environ.get("INFERENCE_LOG_HASH_KEY_FILE"):
        name = os.environ["INFERENCE_LOG_HASH_KEY_FILE"]
        try:
            key = Path(name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise ProjectError(f"{name}: INFERENCE_LOG_HASH_KEY_FILE cannot be read") from None
    if not key:
        return None
    if len(key.encode()) < MIN_KEY_BYTES:
        raise ProjectError(f"{name}: the inference log's hash key needs {MIN_KEY_BYTES} characters or more")
    return key.encode()


@dataclass(frozen=True)
class PersonalData:
    features: tuple[str, ...]
    key: bytes | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return HASHED if self.key else DROPPED

    def protect(self, entry: dict[str, Any]) -> dict[str, Any]:
        """`entry` with its personal features hashed or dropped, and marked; a new dict, `entry` is kept.
        An entry without features (a shadow model's: the champion's entry of the request has them) is kept."""
        if not self.features or "features" not in entry:
            return entry
        features = dict(entry["features"])
        for name in self.features:
            features[name] = self.pseudonym(features.get(name))
        marker = {"features": list(self.features), "as": self.method}
        return {**entry, "features": features, "personal": marker}

    def pseudonym(self, value: Any) -> str | None:
        """The value as the log holds it: its keyed hash (of its JSON text, so 1 and "1" differ), or None."""
        if value is None or self.key is None:
            return None
        return hmac.new(self.key, json.dumps(value).encode(), hashlib.sha256).hexdigest()
