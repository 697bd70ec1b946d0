"""The Airflow DAGs: they import with no error, the pipeline DAG is dvc.yaml's graph, and `dag.test()` runs
it in a copy of the project (Airflow's metadata in a temporary sqlite database) to a model passing the gate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DAGS = PROJECT_ROOT / "dags"
PIPELINE = "{{ cookiecutter.project_slug | replace('-', '_') }}_pipeline"
RETRAIN = "{{ cookiecutter.project_slug | replace('-', '_') }}_retrain"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Airflow's home and metadata database in a temporary directory, migrated once; nothing in ~/airflow."""
    home = tmp_path_factory.mktemp("airflow")
    settings = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    with environment(**settings):
        airflow = Path(sys.executable).parent / "airflow"
        subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True, text=True)
        yield home


@contextmanager
def environment(**settings: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dag_bag(**settings: str) -> Any:
    """A fresh parse of dags/, with `settings` in the environment (the runner's switches)."""
    from airflow.dag_processing.dagbag import DagBag

    with environment(**settings):
        return DagBag(str(DAGS))


def edges(dag: Any) -> set[tuple[str, str]]:
    return {(upstream, task.task_id) for task in dag.tasks for upstream in task.upstream_task_ids}


def test_the_dags_import_with_no_error(airflow_home: Path) -> None:
    bag = dag_bag()
    assert bag.import_errors == {}
    assert {PIPELINE, RETRAIN} <= set(bag.dags)


def test_the_pipeline_dag_is_dvc_yamls_graph(
    airflow_home: Path, dvc_stages: dict[str, Any], dvc_edges: set[tuple[str, str]]
) -> None:
    dag = dag_bag().dags[PIPELINE]
    assert {task.task_id for task in dag.tasks} == set(dvc_stages)
    assert edges(dag) == dvc_edges != set()
    for task in dag.tasks:
        assert task.task_type == "BashOperator"  # the default runner: local
        assert task.bash_command.endswith(f"-m dvc repro --single-item {task.task_id}")


def test_the_kubernetes_runner_runs_the_same_stages_in_the_training_image(
    airflow_home: Path, dvc_edges: set[tuple[str, str]]
) -> None:
    image = "registry.example.com/{{ cookiecutter.project_slug }}-train:1.0"
    bag = dag_bag(PIPELINE_RUNNER="kubernetes", PIPELINE_IMAGE=image)
    assert bag.import_errors == {}
    dag = bag.dags[PIPELINE]
    assert edges(dag) == dvc_edges
    for task in dag.tasks:
        assert (task.task_type, task.image) == ("KubernetesPodOperator", image)
        [script] = task.arguments
        assert f"dvc repro --single-item {task.task_id}" in script and "dvc push --run-cache" in script


def test_an_unknown_runner_is_an_import_error_that_names_it(airflow_home: Path) -> None:
    errors = dag_bag(PIPELINE_RUNNER="spark").import_errors
    assert errors and all("PIPELINE_RUNNER='spark'" in message for message in errors.values())


def test_the_retraining_dag_checks_the_contract_then_retrains_gates_and_promotes(airflow_home: Path) -> None:
    dag = dag_bag().dags[RETRAIN]
    contract = yaml.safe_load((PROJECT_ROOT / "model_contract.yaml").read_text(encoding="utf-8"))
    assert edges(dag) == {
        ("check_contract", "retrain"),
        ("check_contract", "within_contract"),
        ("retrain", "gate_and_promote"),
    }
    assert dag.schedule == contract["monitoring"]["schedule"]
    promote = dag.get_task("gate_and_promote").bash_command
    assert promote.endswith("-m {{ cookiecutter.package_name }}.registry promote")


def test_dag_test_runs_the_pipeline_to_a_model_passing_the_gate(airflow_home: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    outputs = ("mlflow.db", "mlruns", "mlartifacts", ".venv", "models", "reports", "processed", "logs")
    shutil.copytree(PROJECT_ROOT, project, symlinks=True, ignore=shutil.ignore_patterns(*outputs))
    (project / "models").mkdir(exist_ok=True)
    tracking = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}"}
    with environment(PIPELINE_PROJECT_DIR=str(project), **tracking):
        dag = dag_bag().dags[PIPELINE]
        run = dag.test()  # the tasks inherit this process's environment: the tracking store above

    assert run.state == "success"
    assert (project / "models/model/MLmodel").is_file() and (project / "reports/metrics.json").is_file()
    gate = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package_name }}.registry", "promote"],
        cwd=project,
        env={**os.environ, **tracking},
        capture_output=True,
        text=True,
        check=False,
    )
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "passed the gate" in gate.stdout
