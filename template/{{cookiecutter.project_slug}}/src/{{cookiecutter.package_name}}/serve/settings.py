"""The service's settings, read from the environment once at startup (twelve-factor style)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..contract import load_contract
from ..paths import CONTRACT_FILE, INFERENCE_LOG
from .metrics import metrics_address
from .personal import hash_key_from_env


@dataclass(frozen=True)
class Settings:
    model_uri: str  # models:/name@alias from the registry, or a model directory baked into an image
    model_version: str  # label for a model directory; registry versions are looked up
    inference_log: Path  # JSON Lines of every prediction, for drift monitoring
    contract: Path
    max_batch: int  # records per request; more is 413
    max_body_bytes: int  # request body size; more is 413
    batch_max_rows: int = 128  # rows the model predicts in one call, from requests queued together
    batch_wait_ms: float = 0.0  # how long a call may wait for more requests; 0 takes only those queued
    load_retry_seconds: float = 10.0  # while the model cannot be loaded, how often to try again
    api_keys_file: Path | None = None  # one key per line: /predict and /invocations require one (auth.py)
    shadow_model_uri: str | None = None  # a challenger predicting every request off the path (shadow.py)
    shadow_model_version: str = "unversioned"  # label for a shadow model directory
    shadow_queue_requests: int = 64  # requests waiting for the challenger; more are dropped, counted
    shadow_batch_wait_ms: float = 1000.0  # how long the challenger gathers requests into one call
    # The key personal features are hashed with in the inference log; None drops them (personal.py).
    inference_log_hash_key: bytes | None = field(default=None, repr=False)
    # (host, port) serving the metrics apart from the API, whose /metrics then answers 404 (metrics.py)
    metrics_address: tuple[str, int] | None = None

    @classmethod
    def from_env(cls) -> Settings:
        contract = Path(os.environ.get("MODEL_CONTRACT", str(CONTRACT_FILE)))
        default_uri = f"models:/{load_contract(contract).model.name}@champion"
        return cls(
            model_uri=os.environ.get("MODEL_URI", default_uri),
            model_version=os.environ.get("MODEL_VERSION", "unversioned"),
            inference_log=Path(os.environ.get("INFERENCE_LOG", str(INFERENCE_LOG))),
            contract=contract,
            max_batch=int(os.environ.get("MAX_BATCH_SIZE", "1000")),
            max_body_bytes=int(os.environ.get("MAX_BODY_BYTES", str(1_000_000))),
            batch_max_rows=int(os.environ.get("MICRO_BATCH_MAX_ROWS", "128")),
            batch_wait_ms=float(os.environ.get("MICRO_BATCH_WAIT_MS", "0")),
            load_retry_seconds=float(os.environ.get("MODEL_LOAD_RETRY_SECONDS", "10")),
            api_keys_file=Path(os.environ["API_KEYS_FILE"]) if os.environ.get("API_KEYS_FILE") else None,
            shadow_model_uri=os.environ.get("SHADOW_MODEL_URI") or None,
            shadow_model_version=os.environ.get("SHADOW_MODEL_VERSION", "unversioned"),
            shadow_queue_requests=int(os.environ.get("SHADOW_QUEUE_REQUESTS", "64")),
            shadow_batch_wait_ms=float(os.environ.get("SHADOW_BATCH_WAIT_MS", "1000")),
            inference_log_hash_key=hash_key_from_env(),
            metrics_address=metrics_address(),
        )
