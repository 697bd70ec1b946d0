"""What `make rules` writes from the contract: the alerts and the dashboard hold its thresholds, promtool
accepts the files, and each alert fires when (and only when) its rule is broken.

promtool comes with Prometheus (`apt-get install prometheus`; the CI workflow installs it). Without it these
tests are skipped on a workstation, and fail in CI (where `CI` is set), so a runner cannot skip them silently.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.monitor import rules

Promtool = Callable[..., subprocess.CompletedProcess[str]]  # the conftest's fixture


def test_the_dashboard_draws_the_contracts_latency_sla(monitoring_files: Path, contract: Contract) -> None:
    panels = json.loads((monitoring_files / "dashboard.json").read_text())["panels"]
    [latency] = [panel for panel in panels if panel["title"].startswith("Latency")]
    [_, sla] = latency["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert sla["value"] == pytest.approx(contract.slas.inference_latency_p99_ms / 1000)


def test_the_latency_alert_holds_the_contracts_sla(monitoring_files: Path, contract: Contract) -> None:
    groups = yaml.safe_load((monitoring_files / rules.RULES_FILE).read_text())["groups"]
    alert = next(
        rule
        for group in groups
        for rule in group["rules"]
        if rule.get("alert") == "PredictionLatencyP99OverSLA"
    )
    threshold = float(alert["expr"].rsplit(">", 1)[1])
    assert threshold == pytest.approx(contract.slas.inference_latency_p99_ms / 1000)


def test_promtool_accepts_the_rules_and_the_config(monitoring_files: Path, promtool: Promtool) -> None:
    for arguments in (["check", "rules", rules.RULES_FILE], ["check", "config", rules.CONFIG_FILE]):
        checked = promtool(*arguments, cwd=monitoring_files)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_alert_fires_on_a_breach_and_only_then(
    project_root: Path, monitoring_files: Path, promtool: Promtool
) -> None:
    """rules_test.yml: for each alert, a breaching series it must fire on and a healthy one it must not."""
    cases = yaml.safe_load((monitoring_files / rules.RULES_TEST_FILE).read_text())["tests"]
    tested = {
        (check["alertname"], bool(check["exp_alerts"])) for case in cases for check in case["alert_rule_test"]
    }
    limits = rules.thresholds(rules.read_contract(project_root / "model_contract.yaml"))
    alerts = [rule["alert"] for rule in rules.alerting_rules(limits)]
    assert tested == {(alert, fires) for alert in alerts for fires in (True, False)}
    result = promtool("test", "rules", rules.RULES_TEST_FILE, cwd=monitoring_files)
    assert result.returncode == 0, result.stdout + result.stderr
