"""gunicorn settings for the serving image, which loads them with `--config python:<this module>`.

Connections are spread over the workers, and none is lost when workers come and go. The master makes one
listening socket per worker (SO_REUSEPORT: the kernel spreads new connections over them; on one shared socket,
the first worker to wake up accepts every waiting connection, so a burst of clients could all land on one
worker while the other idles), and keeps them open for its whole life. Each worker serves one of them, its
slot. When a worker retires (a reload with SIGHUP, `max_requests`, a crash), its slot's socket stays open with
the connections queued on it, and its successor takes the slot: they wait, they are not reset, as they were
when each worker made its own socket and closed it on retiring. What a retiring worker was already sent, it
answers (worker.py). A worker accepts only once its model is loaded (model_store.py).

A SIGTERM (Kubernetes stopping the pod) gives the workers `graceful_timeout` seconds to answer what they were
sent; the pod's preStop pause and terminationGracePeriodSeconds (k8s/base/deployment.yaml) cover it.

With several workers, Prometheus keeps each worker's values in files under PROMETHEUS_MULTIPROC_DIR: start
from an empty directory, so a restarted container does not carry old counts, and drop a dead worker's gauges.
With METRICS_PORT set too, the master serves them all on that port (metrics.py).
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from gunicorn import sock
from prometheus_client import multiprocess

from .metrics import metrics_address, serve_metrics, workers_registry

worker_class = "{{ cookiecutter.package_name }}.serve.worker.Worker"
reuse_port = False  # gunicorn would make a socket per worker and close it with the worker: on_starting does
graceful_timeout = 20  # seconds a retiring worker has to answer what it was sent, before it is killed


class ReusePort:
    """gunicorn's settings with SO_REUSEPORT on, for gunicorn's own socket factory."""

    reuse_port = True

    def __init__(self, cfg: Any) -> None:
        self._cfg = cfg

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cfg, name)


def listen_per_slot(server: Any) -> None:
    """One listening socket per worker, made by the master. Left to gunicorn (one socket all workers share)
    when it was given sockets (a re-exec with USR2, systemd), several addresses, or one worker."""
    given = os.environ.get("GUNICORN_FD") or os.environ.get("LISTEN_FDS")
    if server.LISTENERS or given or len(server.cfg.address) != 1 or server.cfg.workers < 2:
        return
    settings = ReusePort(server.cfg)
    server.LISTENERS = [
        listener for _ in range(server.cfg.workers) for listener in sock.create_sockets(settings, server.log)
    ]


def on_starting(server: Any) -> None:
    listen_per_slot(server)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def pre_fork(server: Any, worker: Any) -> None:
    """The new worker serves the slot the fewest live workers serve (during a reload, the retiring ones
    still count: each new worker takes the slot of an old one)."""
    if len(server.LISTENERS) < 2:
        return
    held = Counter(getattr(sibling, "slot", None) for sibling in server.WORKERS.values())
    worker.slot = min(range(len(server.LISTENERS)), key=lambda slot: (held[slot], slot))
    worker.sockets = [server.LISTENERS[worker.slot]]


def nworkers_changed(server: Any, new_value: int, old_value: int | None) -> None:
    if old_value is not None and new_value < len(server.LISTENERS):
        server.log.warning(
            "%d workers for %d listening sockets: the connections of an unserved one wait; restart gunicorn "
            "to change the number of workers",
            new_value,
            len(server.LISTENERS),
        )


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
