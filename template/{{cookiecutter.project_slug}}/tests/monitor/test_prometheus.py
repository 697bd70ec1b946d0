"""monitoring/prometheus/: the files are the contract's, promtool accepts them, and each alert fires when (and
only when) its rule is broken.

promtool comes with Prometheus (`apt-get install prometheus`; the CI workflow installs it). Without it these
tests are skipped on a workstation, and fail in CI (where `CI` is set), so a runner cannot skip them silently.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.monitor import dashboard, rules
from {{ cookiecutter.package_name }}.paths import GRAFANA_DASHBOARD, PROMETHEUS_DIR


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is not installed (apt-get install prometheus)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    return found


@pytest.fixture(scope="module")
def directory(project_root: Path) -> Path:
    return project_root / PROMETHEUS_DIR


def test_the_files_are_those_the_contract_gives(project_root: Path, directory: Path) -> None:
    """A contract edited since `make rules` ran: this test names the file and the command to run."""
    for name, text in rules.render(rules.read_contract(project_root / "model_contract.yaml")).items():
        path = directory / name
        assert path.is_file() and path.read_text(encoding="utf-8") == text, (
            f"{PROMETHEUS_DIR / name} does not match model_contract.yaml: run `make rules`"
        )


def test_the_dashboard_is_the_one_the_contract_gives(project_root: Path, contract: Contract) -> None:
    limits = rules.thresholds(rules.read_contract(project_root / "model_contract.yaml"))
    path = project_root / GRAFANA_DASHBOARD
    assert path.is_file() and path.read_text(encoding="utf-8") == dashboard.render(limits), (
        f"{GRAFANA_DASHBOARD} does not match model_contract.yaml: run `make rules`"
    )
    [latency] = [
        panel for panel in json.loads(path.read_text())["panels"] if panel["title"].startswith("Latency")
    ]
    [_, sla] = latency["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert sla["value"] == pytest.approx(contract.slas.inference_latency_p99_ms / 1000)


def test_the_latency_alert_holds_the_contracts_sla(directory: Path, contract: Contract) -> None:
    groups = yaml.safe_load((directory / rules.RULES_FILE).read_text())["groups"]
    alert = next(
        rule
        for group in groups
        for rule in group["rules"]
        if rule.get("alert") == "PredictionLatencyP99OverSLA"
    )
    threshold = float(alert["expr"].rsplit(">", 1)[1])
    assert threshold == pytest.approx(contract.slas.inference_latency_p99_ms / 1000)


def run_promtool(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *arguments], cwd=cwd, capture_output=True, text=True, check=False)


def test_promtool_accepts_the_rules_and_the_config(directory: Path) -> None:
    for arguments in (["check", "rules", rules.RULES_FILE], ["check", "config", rules.CONFIG_FILE]):
        checked = run_promtool(*arguments, cwd=directory)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_on_a_breach_and_only_then(project_root: Path, directory: Path) -> None:
    """rules_test.yml: for each alert, a breaching series it must fire on and a healthy one it must not."""
    cases = yaml.safe_load((directory / rules.RULES_TEST_FILE).read_text())["tests"]
    tested = {
        (check["alertname"], bool(check["exp_alerts"])) for case in cases for check in case["alert_rule_test"]
    }
    limits = rules.thresholds(rules.read_contract(project_root / "model_contract.yaml"))
    alerts = [rule["alert"] for rule in rules.alerting_rules(limits)]
    assert tested == {(alert, fires) for alert in alerts for fires in (True, False)}
    result = run_promtool("test", "rules", rules.RULES_TEST_FILE, cwd=directory)
    assert result.returncode == 0, result.stdout + result.stderr
