"""gunicorn settings for the serving image, which loads them with `--config python:<this module>`.

With several workers, Prometheus keeps each worker's values in files under PROMETHEUS_MULTIPROC_DIR: start
from an empty directory, so a restarted container does not carry old counts, and drop a dead worker's gauges.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess


def on_starting(server: Any) -> None:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        Path(directory).mkdir(parents=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
