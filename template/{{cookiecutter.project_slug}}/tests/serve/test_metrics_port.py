"""With METRICS_PORT set, Prometheus scrapes a port of its own, and /metrics of the API answers 404: in one
uvicorn process (`make serve`), and for every gunicorn worker at once, served by the master (the image)."""

from __future__ import annotations

import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import multiprocess

APP = "{{ cookiecutter.package_name }}.serve.main:app"
PREDICT_OK = {"path": "/predict", "status": "200"}
PREDICTED = re.compile(r'^http_requests_total\{path="/predict",status="200"\} (\S+)$', re.M)


def environment(model_dir: Path, project_root: Path, tmp_path: Path, metrics_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "MODEL_URI": str(model_dir),
        "MODEL_CONTRACT": str(project_root / "model_contract.yaml"),
        "INFERENCE_LOG": str(tmp_path / "inference.jsonl"),
        "METRICS_HOST": "127.0.0.1",
        "METRICS_PORT": str(metrics_port),
    }


def predict(url: str, record: dict[str, Any]) -> None:
    body, headers = json.dumps(record).encode(), {"content-type": "application/json"}
    request = urllib.request.Request(f"{url}/predict", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def predicted(metrics_port: int) -> float:
    """The /predict answers the metrics port counts."""
    with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as answer:
        counted = PREDICTED.search(answer.read().decode())
    return float(counted.group(1)) if counted else 0.0


def assert_hidden_from_the_api(url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{url}/metrics", timeout=5)
    assert error.value.code == 404


def test_one_process_serves_its_metrics_on_the_metrics_port(
    model_dir: Path,
    project_root: Path,
    tmp_path: Path,
    record: dict[str, Any],
    launch: Callable[..., AbstractContextManager[str]],
    port: int,
) -> None:
    metrics_port = port  # a free port; `launch` finds the service's
    command = [sys.executable, "-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", "{port}"]
    with launch(command, environment(model_dir, project_root, tmp_path, metrics_port)) as url:
        for _ in range(3):
            predict(url, record)
        assert predicted(metrics_port) == 3
        assert_hidden_from_the_api(url)


def worker_counts(directory: Path) -> dict[str, float]:
    """Each worker's /predict answers, from its own file of PROMETHEUS_MULTIPROC_DIR."""
    counts = {}
    for path in directory.glob("counter_*.db"):
        for metric in multiprocess.MultiProcessCollector.merge([str(path)]):
            for sample in metric.samples:
                if sample.name == "http_requests_total" and sample.labels == PREDICT_OK:
                    counts[path.stem] = sample.value
    return counts


def test_gunicorn_master_serves_every_workers_metrics(
    gunicorn: Callable[..., tuple[list[str], dict[str, str]]],
    tmp_path: Path,
    record: dict[str, Any],
    launch: Callable[..., AbstractContextManager[str]],
    port: int,
) -> None:
    metrics_port, directory = port, tmp_path / "prometheus"
    command, env = gunicorn()  # the image's settings, PROMETHEUS_MULTIPROC_DIR under tmp_path/prometheus
    env |= {"METRICS_HOST": "127.0.0.1", "METRICS_PORT": str(metrics_port)}
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(directory)
    with launch(command, env) as url:
        sent = 0
        while sent < 200 and len(worker_counts(directory)) < 2:  # each request on a new connection
            predict(url, record)
            sent += 1
        # A worker counts a request once its answer is sent: the client may read the files a moment before.
        deadline = time.monotonic() + 10
        while sum((counts := worker_counts(directory)).values()) < sent and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(counts) == 2 and all(counts.values())  # the kernel spread the requests over both workers
        assert predicted(metrics_port) == sum(counts.values()) == sent
        assert_hidden_from_the_api(url)
