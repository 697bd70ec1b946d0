"""A real Prometheus scraping the real service evaluates every recording rule that `make rules` writes to
data: each metric name in the rules (and so in the dashboard) is one the service exports.

Prometheus comes from `apt-get install prometheus` (the CI workflow installs it); without it the test is
skipped on a workstation and fails in CI (where `CI` is set).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }}.monitor import dashboard, rules

APP = "{{ cookiecutter.package_name }}.serve.main:app"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


def wait_until(ready: Any, process: subprocess.Popen[bytes], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if ready():
                return
        except OSError:  # refused or 503 while it starts
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def service(model_dir: Path, tmp_path: Path, project_root: Path) -> Iterator[str]:
    """uvicorn serving the session's model on a free port of 127.0.0.1: its host:port."""
    port = free_port()
    environment = {
        **os.environ,
        "MODEL_URI": str(model_dir),
        "MODEL_CONTRACT": str(project_root / "model_contract.yaml"),
        "INFERENCE_LOG": str(tmp_path / "inference.jsonl"),
    }
    command = [sys.executable, "-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([*command, "--log-level", "warning"], env=environment)
    try:
        wait_until(lambda: get(f"http://127.0.0.1:{port}/ready")["status"] == "ready", process, "the service")
        yield f"127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def prometheus(service: str, tmp_path: Path, monitoring_files: Path) -> Iterator[str]:
    """Prometheus with the project's prometheus.yml and rules.yml, scraping `service` each second: its URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is not installed (apt-get install prometheus)")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    config = yaml.safe_load((monitoring_files / rules.CONFIG_FILE).read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(monitoring_files / name) for name in config["rule_files"]]
    config["scrape_configs"][0]["static_configs"] = [{"targets": [service]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    command = [
        binary,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
    ]
    command += [f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    process = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: urllib.request.urlopen(f"{url}/-/ready", timeout=2).status == 200, process, "prometheus"
        )
        yield url
    finally:
        stop(process)


def predict(service: str, records: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"http://{service}/predict",
        data=json.dumps(records).encode(),
        headers={"content-type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


def evaluates(prometheus: str, record: str) -> bool:
    query = urllib.parse.urlencode({"query": record})
    return bool(get(f"{prometheus}/api/v1/query?{query}")["data"]["result"])


def test_every_recording_rule_and_dashboard_query_evaluates_to_data(
    service: str, prometheus: str, monitoring_files: Path, records: list[dict[str, Any]]
) -> None:
    recorded = [
        rule["record"]
        for group in yaml.safe_load((monitoring_files / rules.RULES_FILE).read_text())["groups"]
        for rule in group["rules"]
        if "record" in rule
    ]
    panels = dashboard.queries(json.loads((monitoring_files / "dashboard.json").read_text()))
    empty = set(recorded) | set(panels)
    deadline = time.monotonic() + 60
    while empty and time.monotonic() < deadline:
        predict(service, records[:5])  # traffic between scrapes: rates over at least two samples
        empty = {record for record in empty if not evaluates(prometheus, record)}
        time.sleep(0.5)
    assert not empty, f"no data for {sorted(empty)}: a metric they name is not one the service exports"
