"""The monitoring workflow runs on the contract's schedule, so changing one without the other fails here."""

from __future__ import annotations

from pathlib import Path

import yaml

from {{ cookiecutter.package_name }}.contract import load_contract


def test_monitor_yml_runs_on_the_contracts_schedule(project_root: Path) -> None:
    workflow = yaml.safe_load((project_root / ".github/workflows/monitor.yml").read_text())
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads a bare `on` key as True
    schedule = load_contract(project_root / "model_contract.yaml").monitoring.schedule

    assert [entry["cron"] for entry in triggers["schedule"]] == [schedule]
    assert "workflow_dispatch" in triggers


def test_monitor_yml_runs_the_drift_check_this_project_ships(project_root: Path) -> None:
    workflow = (project_root / ".github/workflows/monitor.yml").read_text()
    makefile = (project_root / "Makefile").read_text()

    assert "-m {{ cookiecutter.package_name }}.monitor.drift --current" in workflow
    assert "-m {{ cookiecutter.package_name }}.monitor.drift --current" in makefile
    assert "reports/monitoring/" in workflow and "gh workflow run train.yml" in workflow
