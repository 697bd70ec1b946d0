"""Retraining when production breaks the contract: check drift (and, once labels arrive, the production
metrics) against model_contract.yaml, retrain with `dvc repro` when either is breached, then gate the new
model against the contract and the @champion and promote it if it passes (`registry promote` fails the task
when the gate keeps the champion). Runs on the contract's `monitoring.schedule`.

Current data: `MONITORING_CURRENT_DATA` (the service's inference log, .jsonl, or a .csv batch), default
logs/inference.jsonl; labels for the production metrics: `MONITORING_LABELS` (request_id,label), checked when
the file exists.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pendulum
import yaml
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, task

from {{ cookiecutter.package_name }}.airflow_tasks import PACKAGE, SLUG, project_dir, step

DAG_ID = f"{SLUG}-retrain".replace("-", "_")
CONTRACT = yaml.safe_load((project_dir() / "model_contract.yaml").read_text(encoding="utf-8"))
CURRENT = os.environ.get("MONITORING_CURRENT_DATA", "logs/inference.jsonl")
LABELS = os.environ.get("MONITORING_LABELS", "data/monitoring/labels.csv")


def breached(module: str, *arguments: str) -> bool:
    """Run a monitor (exit 0 within the contract, 1 breached, anything else broken input: the task fails)."""
    command = [sys.executable, "-m", f"{PACKAGE}.monitor.{module}", *arguments]
    status = subprocess.run(command, cwd=project_dir(), check=False).returncode
    if status > 1:
        raise RuntimeError(f"{' '.join(command)} exited {status}: see its message above")
    return status == 1


with DAG(
    DAG_ID,
    description="retrain, gate and promote when drift or the production metrics breach the contract",
    schedule=CONTRACT["monitoring"]["schedule"],
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # two retrainings would race for @champion
    tags=["{{ cookiecutter.project_slug }}", "monitoring"],
) as dag:

    @task.branch(task_id="check_contract")
    def check_contract() -> str:
        drift = breached("drift", "--current", CURRENT)
        labels = (project_dir() / LABELS).is_file()
        quality = labels and breached("quality", "--labels", LABELS, "--log", CURRENT)
        return "retrain" if drift or quality else "within_contract"

    retrain = step("retrain", "dvc", "repro")
    promote = step("gate_and_promote", "python", "-m", f"{PACKAGE}.registry", "promote")
    check_contract() >> [retrain, EmptyOperator(task_id="within_contract")]
    retrain >> promote
