"""gunicorn settings for the serving image, which loads them with `--config python:<this module>`.

Connections are spread over the workers, and none is lost when workers come and go: the master makes one
listening socket per worker, its slot, and keeps them open for its whole life (slots.py). On one shared
socket, the first worker to wake up would accept every waiting connection, so a burst of clients could all
land on one worker while the other idles; with a socket per worker made by each worker, the connections
queued on it were reset when the worker retired. A worker retiring on a reload (SIGHUP) or recycled after
`max_requests` serves its slot until its successor accepts on it; what a retiring worker was already sent,
it answers (worker.py). A worker accepts only once its model is loaded (model_store.py).

A SIGTERM (Kubernetes stopping the pod) gives the workers `graceful_timeout` seconds to answer what they were
sent; the pod's preStop pause and terminationGracePeriodSeconds (k8s/base/deployment.yaml) cover it.

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
from .slots import Slots

worker_class = "{{ cookiecutter.package_name }}.serve.worker.Worker"
reuse_port = False  # gunicorn would make a socket per worker and close it with the worker: slots.py does
graceful_timeout = 20  # seconds a retiring worker has to answer what it was sent, before it is killed


def on_starting(server: Any) -> None:
    server.slots = Slots.listen(server)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def pre_fork(server: Any, worker: Any) -> None:
    if server.slots is not None:
        server.slots.assign(server, worker)


def on_reload(server: Any) -> None:
    if server.slots is not None:
        server.slots.reloading(server)


def nworkers_changed(server: Any, new_value: int, old_value: int | None) -> None:
    if old_value is not None and getattr(server, "slots", None) and new_value < len(server.LISTENERS):
        server.log.warning(
            "%d workers for %d listening sockets: the connections of an unserved one wait; restart gunicorn "
            "to change the number of workers",
            new_value,
            len(server.LISTENERS),
        )


def child_exit(server: Any, worker: Any) -> None:
    if server.slots is not None:
        server.slots.exited(server, worker)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)


def when_ready(server: Any) -> None:
    """With METRICS_PORT set, the master serves every worker's metrics on it (their /metrics answers 404):
    one port for the pod, whichever worker would have answered. Started before any worker is forked."""
    address = metrics_address()
    if address is not None and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        serve_metrics(address, workers_registry())
        server.log.info("Serving the workers' metrics on %s:%d", *address)
