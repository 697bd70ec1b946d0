"""A client of the app serving the session's model, a real server serving it, and valid records typed as JSON
carries them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import prepare

APP = "{{ cookiecutter.package_name }}.serve.main:app"
GUNICORN_CONFIG = "python:{{ cookiecutter.package_name }}.serve.gunicorn_conf"


def as_records(frame: Any) -> list[dict[str, Any]]:
    """Rows as request bodies: JSON types, missing values as null."""
    return json.loads(frame[list(FEATURES)].to_json(orient="records"))


@pytest.fixture
def records(split: prepare.Split) -> list[dict[str, Any]]:
    """Valid request bodies: rows of the held-out split."""
    return as_records(split.test.head(20))


@pytest.fixture
def record(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One valid request body with every feature present (no null)."""
    return next(row for row in records if all(value is not None for value in row.values()))


@pytest.fixture
def settings(model_dir: Path, tmp_path: Path, project_root: Path) -> Settings:
    return Settings(
        model_uri=str(model_dir),
        model_version="7",
        inference_log=tmp_path / "logs/inference.jsonl",
        contract=project_root / "model_contract.yaml",
        max_batch=5,
        max_body_bytes=20_000,
        load_retry_seconds=0.2,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of the app once its model is loaded (leaving the block flushes the inference log)."""
    with TestClient(create_app(settings)) as client:
        yield client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def port() -> int:
    """A free port of 127.0.0.1, for a test that starts a server of its own."""
    return free_port()


@contextmanager
def running(
    command: list[str], environment: dict[str, str], probe: str = "/ready", within: float = 90
) -> Iterator[str]:
    """Start a server process on a free port of 127.0.0.1 (`{port}` in `command` says where it goes), wait
    until `probe` answers, yield its URL, and stop it however the block ends.

    Ready means ten answers in a row, each on a new connection: with several workers, each loads its model
    on its own, and a connection sent to one still loading waits for it (and may time out here). The server
    runs in a process group of its own, stopped whole: `mlflow models serve` starts its server as a child.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [part.replace("{port}", str(port)) for part in command]
    process = subprocess.Popen(command, env=environment, start_new_session=True)
    try:
        deadline, in_a_row = time.monotonic() + within, 0
        while in_a_row < 10:
            try:
                with urllib.request.urlopen(f"{url}{probe}", timeout=2) as answer:
                    in_a_row = in_a_row + 1 if answer.status == 200 else 0
            except OSError:  # refused, reset, timed out or 503 while the server starts
                in_a_row = 0
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{' '.join(command[:3])} did not become ready") from None
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.fixture(scope="session")
def launch() -> Callable[..., AbstractContextManager[str]]:
    """`running`, for a test that starts a server of its own (MLflow's, Prometheus)."""
    return running


@pytest.fixture(scope="session")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> Iterator[str]:
    """One uvicorn server for the session, serving the session's model: its URL. Starting one imports MLflow
    and loads the model (seconds), so every test of serve/ that needs a real server shares it."""
    environment = {
        **os.environ,
        "MODEL_URI": str(model_dir),
        "MODEL_CONTRACT": str(project_root / "model_contract.yaml"),
        "INFERENCE_LOG": str(tmp_path_factory.mktemp("server") / "inference.jsonl"),
    }
    command = [sys.executable, "-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", "{port}"]
    with running([*command, "--log-level", "warning"], environment) as url:
        yield url


@pytest.fixture
def gunicorn(
    model_dir: Path, tmp_path: Path, project_root: Path
) -> Callable[..., tuple[list[str], dict[str, str]]]:
    """The image's command (gunicorn with its settings, two workers) on 127.0.0.1:{port}, with more options
    if given: the command and its environment, for `running` or a process of the test's own."""

    def command(*options: str) -> tuple[list[str], dict[str, str]]:
        metrics_dir = tmp_path / "prometheus"
        metrics_dir.mkdir(exist_ok=True)
        environment = {
            **os.environ,
            "MODEL_URI": str(model_dir),
            "MODEL_CONTRACT": str(project_root / "model_contract.yaml"),
            "INFERENCE_LOG": str(tmp_path / "inference.jsonl"),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        }
        arguments = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG, "--workers", "2"]
        arguments += ["--bind", "127.0.0.1:{port}", "--no-control-socket", *options, APP]
        return arguments, environment

    return command
