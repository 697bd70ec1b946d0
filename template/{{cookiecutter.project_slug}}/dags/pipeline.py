"""The dvc.yaml pipeline as an Airflow DAG: one task per stage, `dvc repro --single-item <stage>`, each after
the stages that write its deps. Built from dvc.yaml each time Airflow parses this file (see airflow_tasks.py
for the local and Kubernetes runners); run it by hand or from another DAG (the retraining one does)."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG

from {{ cookiecutter.package_name }}.airflow_tasks import SLUG, runner, stage_upstreams, step

DAG_ID = f"{SLUG}-pipeline".replace("-", "_")

with DAG(
    DAG_ID,
    description="dvc.yaml's stages, one task each",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    # One DVC process at a time in one working copy (DVC locks the repository); pods have a copy each.
    max_active_tasks=1 if runner() == "local" else 16,
    max_active_runs=1,
    tags=["{{ cookiecutter.project_slug }}", "dvc"],
) as dag:
    upstreams = stage_upstreams()
    tasks = {name: step(name, "dvc", "repro", "--single-item", name) for name in upstreams}
    for name, producers in upstreams.items():
        for producer in sorted(producers):
            tasks[producer] >> tasks[name]
