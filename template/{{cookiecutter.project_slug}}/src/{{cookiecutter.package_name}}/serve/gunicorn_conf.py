"""gunicorn settings for the serving image, which loads them with `--config python:<this module>`.

Each worker listens on a socket of its own (SO_REUSEPORT), and the kernel spreads new connections over them:
on one shared socket, the first worker to wake up accepts every waiting connection, so a burst of clients
could all land on one worker while the other idles. A worker binds its socket as it starts but accepts only
once its model is loaded (model_store.py): connections sent to it meanwhile wait, they are not refused.

With several workers, Prometheus keeps each worker's values in files under PROMETHEUS_MULTIPROC_DIR: start
from an empty directory, so a restarted container does not carry old counts, and drop a dead worker's gauges.
With METRICS_PORT set too, the master serves them all on that port (metrics.py).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess

from .metrics import metrics_address, serve_metrics, workers_registry

reuse_port = True


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    """With METRICS_PORT set, the master serves every worker's metrics on it (their /metrics answers 404):
    one port for the pod, whichever worker would have answered. Started before any worker is forked."""
    address = metrics_address()
    if address is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        serve_metrics(address, workers_registry())
        server.log.info("Serving the workers' metrics on %s:%d", *address)
