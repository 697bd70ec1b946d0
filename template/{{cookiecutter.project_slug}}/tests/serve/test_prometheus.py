"""A real Prometheus scraping the real service evaluates every recording rule that `make rules` writes to
data: each metric name in the rules (and so in the dashboard) is one the service exports.

Prometheus comes from `apt-get install prometheus` (the CI workflow installs it); without it the test is
skipped on a workstation and fails in CI (where `CI` is set).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from {{ cookiecutter.package_name }}.monitor import dashboard, rules


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


@pytest.fixture
def prometheus(
    server: str, tmp_path: Path, monitoring_files: Path, launch: Callable[..., AbstractContextManager[str]]
) -> Iterator[str]:
    """Prometheus with the generated prometheus.yml and rules.yml, scraping `server` each second: its URL."""
    binary = shutil.which("prometheus")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("prometheus is not installed (apt-get install prometheus)")
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    config = yaml.safe_load((monitoring_files / rules.CONFIG_FILE).read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(monitoring_files / name) for name in config["rule_files"]]
    config["scrape_configs"][0]["static_configs"] = [{"targets": [urlsplit(server).netloc]}]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    command = [
        binary,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}",
        "--web.listen-address=127.0.0.1:{port}",
        "--log.level=warn",
    ]
    with launch(command, dict(os.environ), probe="/-/ready") as url:
        yield url


def predict(server: str, records: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{server}/predict",
        data=json.dumps(records).encode(),
        headers={"content-type": "application/json"},
    )
    urllib.request.urlopen(request, timeout=10).read()


def evaluates(prometheus: str, record: str) -> bool:
    query = urllib.parse.urlencode({"query": record})
    return bool(get(f"{prometheus}/api/v1/query?{query}")["data"]["result"])


def test_every_recording_rule_and_dashboard_query_evaluates_to_data(
    server: str, prometheus: str, monitoring_files: Path, records: list[dict[str, Any]]
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
        predict(server, records[:5])  # traffic between scrapes: rates over at least two samples
        empty = {record for record in empty if not evaluates(prometheus, record)}
        time.sleep(0.5)
    assert not empty, f"no data for {sorted(empty)}: a metric they name is not one the service exports"
