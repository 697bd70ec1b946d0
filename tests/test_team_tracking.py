"""MLflow for a team: docker-compose.yml checked against the Compose specification, and the project run and
promoted against a real `mlflow server` started by its own `make mlflow-server`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import dev_tool, render_into, without_latency_limit

VARIABLE = re.compile(r"\$\{(\w+)(:?[-?][^}]*)?\}")


def compose(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_file_follows_the_compose_specification(default_project: Path) -> None:
    result = subprocess.run(
        [
            dev_tool("check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            default_project / "docker-compose.yml",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_mlflow_on_postgres_and_an_s3_store(default_project: Path) -> None:
    services = compose(default_project)["services"]
    assert set(services) == {"postgres", "minio", "create-bucket", "mlflow"}
    mlflow = services["mlflow"]
    command = mlflow["command"]
    backend = VARIABLE.sub("password", command[command.index("--backend-store-uri") + 1])
    assert urllib.parse.urlsplit(backend).scheme == "postgresql"
    assert urllib.parse.urlsplit(backend).hostname == "postgres"
    assert command[command.index("--artifacts-destination") + 1].startswith("s3://mlflow/")
    assert urllib.parse.urlsplit(mlflow["environment"]["MLFLOW_S3_ENDPOINT_URL"]).hostname == "minio"
    assert services["create-bucket"]["command"][-1].endswith("/mlflow")  # the bucket the server writes to
    assert mlflow["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "create-bucket": {"condition": "service_completed_successfully"},
    }
    for name in ("postgres", "minio", "mlflow"):
        assert "healthcheck" in services[name], name


def test_compose_takes_secrets_from_the_environment_only(default_project: Path) -> None:
    """Passwords come from .env (which git ignores); a value the file does not know must stop compose."""
    text = (default_project / "docker-compose.yml").read_text(encoding="utf-8")
    for service in compose(default_project)["services"].values():
        for key, value in service.get("environment", {}).items():
            if re.search("PASSWORD|SECRET", key):
                assert VARIABLE.fullmatch(str(value)), f"{key} is written in the file"
    required = {name for name, rule in VARIABLE.findall(text) if rule.startswith(":?")}
    assert {"POSTGRES_PASSWORD", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"} <= required
    defaults = {name for name, rule in VARIABLE.findall(text) if rule.startswith(":-")}
    assert {name for name, _ in VARIABLE.findall(text)} <= required | defaults  # none silently empty
    assert ".env" in (default_project / ".gitignore").read_text().splitlines()


def test_compose_images_are_pinned_and_mlflow_matches_the_lock(default_project: Path) -> None:
    services = compose(default_project)["services"]
    images = [service["image"] for service in services.values() if "image" in service]
    dockerfile = services["mlflow"]["build"]["dockerfile_inline"]
    images += re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    for image in images:
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest", image
    [server] = [image for image in images if "mlflow/mlflow" in image]
    lock = (default_project / "uv.lock").read_text(encoding="utf-8")
    [locked] = re.findall(r'name = "mlflow"\nversion = "([^"]+)"', lock)
    assert server.endswith(f":v{locked}"), f"server {server}, clients lock mlflow {locked}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return dict(json.load(response))


@pytest.fixture
def tracking_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A project and its `make mlflow-server` on a free port of 127.0.0.1; its processes are ended after."""
    project = render_into(tmp_path)
    subprocess.run(["uv", "sync", "--locked", "--quiet"], cwd=project, check=True)
    port = free_port()
    log = (tmp_path / "mlflow-server.log").open("w")
    server = subprocess.Popen(
        ["make", "mlflow-server", f"MLFLOW_PORT={port}"],
        cwd=project,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: make, uv, mlflow and the uvicorn workers
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "mlflow-server.log").read_text()
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # not listening, or slow to answer
                assert time.monotonic() < deadline, "mlflow server did not answer within 180 s"
                time.sleep(0.5)
        yield project, url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.mark.slow
def test_pipeline_and_promotion_against_a_tracking_server(tracking_server: tuple[Path, str]) -> None:
    project, url = tracking_server
    without_latency_limit(project)
    environment = {**os.environ, "MLFLOW_TRACKING_URI": url}
    for command in (["uv", "run", "dvc", "repro"], ["make", "promote"]):
        result = subprocess.run(
            command, cwd=project, env=environment, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    assert "version 1 passed the gate and is @champion" in result.stdout

    run_id = json.loads((project / "models/run.json").read_text())["run_id"]
    query = urllib.parse.urlencode({"name": "customer_churn", "alias": "champion"})
    champion = get_json(f"{url}/api/2.0/mlflow/registered-models/alias?{query}")["model_version"]
    assert champion["version"] == "1" and champion["run_id"] == run_id
    run = get_json(f"{url}/api/2.0/mlflow/runs/get?run_id={run_id}")["run"]
    assert "test_roc_auc" in {metric["key"] for metric in run["data"]["metrics"]}
    # Through the server, not around it: artifacts went through its proxy into --artifacts-destination
    assert run["info"]["artifact_uri"].startswith("mlflow-artifacts:")
    assert any((project / "mlartifacts").rglob("MLmodel"))
    assert not (project / "mlruns").exists()
