"""The Kubeflow pipeline: compiled offline, its DAG checked against dvc.yaml, its tasks run as KFP would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from {{ cookiecutter.package_name }} import kubeflow
from {{ cookiecutter.package_name }}.metrics import METRICS
from {{ cookiecutter.package_name }}.paths import RAW_DATA

PROJECT_ROOT = Path(__file__).resolve().parents[1]
IMAGE = "registry.example.com/{{ cookiecutter.project_slug }}-train:1.0.0"
PLACEHOLDER = re.compile(r"\{\{\$\.(inputs|outputs)\.artifacts\['(\w+)'\]\.path\}\}")


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("kubeflow") / "pipeline.yaml"
    arguments = ["--output", str(output), "--image", IMAGE, "--tracking-uri", "http://mlflow:5000"]
    assert kubeflow.main(arguments) == 0
    return yaml.safe_load(output.read_text(encoding="utf-8"))


def test_tasks_are_the_dvc_stages_with_their_dependencies(
    compiled: dict[str, Any], dvc_stages: dict[str, Any], dvc_edges: set[tuple[str, str]]
) -> None:
    tasks = compiled["root"]["dag"]["tasks"]
    assert set(tasks) == set(dvc_stages)
    dependencies = {
        (producer, name) for name, task in tasks.items() for producer in task.get("dependentTasks", [])
    }
    artifacts = {
        (source["taskOutputArtifact"]["producerTask"], name)
        for name, task in tasks.items()
        for source in task.get("inputs", {}).get("artifacts", {}).values()
    }
    assert dependencies == artifacts == dvc_edges


def test_each_task_runs_its_stage_command_in_the_training_image(
    compiled: dict[str, Any], dvc_stages: dict[str, Any]
) -> None:
    executors = compiled["deploymentSpec"]["executors"]
    for name, stage in dvc_stages.items():
        container = executors[f"exec-{name}"]["container"]
        assert container["image"] == IMAGE
        assert stage["cmd"] in container["command"][2].splitlines()
        assert {"name": "MLFLOW_TRACKING_URI", "value": "http://mlflow:5000"} in container["env"]


def test_a_local_tracking_store_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "pipeline.yaml"
    assert kubeflow.main(["--output", str(output), "--tracking-uri", "sqlite:///mlflow.db"]) == 2
    assert "not a tracking server" in capsys.readouterr().err
    assert not output.exists()


def test_an_unreadable_dvc_yaml_is_one_error_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "dvc.yaml").write_text("stages:\n  prepare:\n    deps: [a]\n", encoding="utf-8")  # no cmd
    monkeypatch.chdir(tmp_path)
    assert kubeflow.main(["--output", str(tmp_path / "pipeline.yaml")]) == 2
    assert capsys.readouterr().err.startswith("error: dvc.yaml: ")
    assert not (tmp_path / "pipeline.yaml").exists()


def test_the_compiled_tasks_run_the_pipeline(compiled: dict[str, Any], tmp_path: Path) -> None:
    """Run each task's command as the KFP launcher does, in a copy of the project laid out like the image.

    Artifacts are directories on this disk instead of the cluster's object store, and MLflow records to a
    sqlite file instead of the tracking server: the commands, their order and the files they pass are the
    compiled pipeline's.
    """
    workdir = tmp_path / "app"
    shutil.copytree(
        PROJECT_ROOT,
        workdir,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "mlflow.db", "mlruns", "processed", "models", "reports"
        ),
    )
    params = workdir / "params.yaml"  # fewer boosting rounds: this checks the wiring, not the model
    params.write_text(re.sub(r"max_iter: \d+", "max_iter: 20", params.read_text(encoding="utf-8")))
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    # No git repository, as in the image; the DVC remote is a directory here, holding the raw data only.
    local_config = ["[core]", "    no_scm = true", "    remote = tasks", """['remote "tasks"']"""]
    local_config.append(f"    url = {tmp_path / 'remote'}")
    (workdir / ".dvc/config.local").write_text("\n".join(local_config) + "\n", encoding="utf-8")
    subprocess.run(["dvc", "push", "--quiet", str(RAW_DATA)], cwd=workdir, env=environment, check=True)
    shutil.rmtree(workdir / ".dvc/cache")  # the image has the pointer file only: the task pulls the data
    (workdir / RAW_DATA).unlink()
    tasks = compiled["root"]["dag"]["tasks"]
    done: list[str] = []
    while len(done) < len(tasks):
        name = next(
            task
            for task, spec in tasks.items()
            if task not in done and set(spec.get("dependentTasks", [])) <= set(done)
        )
        container = compiled["deploymentSpec"]["executors"][f"exec-{name}"]["container"]
        sources = tasks[name].get("inputs", {}).get("artifacts", {})

        def artifact_path(match: re.Match[str], task: str = name, sources: dict[str, Any] = sources) -> str:
            if match.group(1) == "inputs":
                source = sources[match.group(2)]["taskOutputArtifact"]
                task, key = source["producerTask"], source["outputArtifactKey"]
            else:
                key = match.group(2)
            return str(tmp_path / "artifacts" / task / key / "data")

        command = [PLACEHOLDER.sub(artifact_path, part) for part in container["command"] + container["args"]]
        result = subprocess.run(
            command, cwd=workdir, env=environment, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"task {name} failed:\n{result.stdout}\n{result.stderr}"
        done.append(name)

    artifacts = tmp_path / "artifacts"
    metrics = json.loads((artifacts / "evaluate/reports_metrics_json/data").read_text(encoding="utf-8"))
    assert set(metrics) == set(METRICS)  # the evaluate task scored the model trained by the train task
    assert (artifacts / "train/models_model/data/MLmodel").is_file()
