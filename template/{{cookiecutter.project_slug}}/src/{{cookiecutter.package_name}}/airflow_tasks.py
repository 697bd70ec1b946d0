"""What the DAGs in dags/ share: where the project is, how its stages depend on each other, how a step runs.

Read when Airflow parses the DAG files, so a stage `scaffold add-stage` writes into dvc.yaml is a task at the
next parse. The runner is chosen by the environment of the Airflow scheduler and workers:

- `PIPELINE_RUNNER=local` (the default): each step is a `BashOperator` running `dvc` in this project's
  directory (`PIPELINE_PROJECT_DIR`, default the project holding this package), with the Python running
  Airflow: a single-machine Airflow installed in the project's environment (`uv sync` installs it).
- `PIPELINE_RUNNER=kubernetes`: each step is a `KubernetesPodOperator` running the same `dvc` command in the
  training image (`PIPELINE_IMAGE`, built from Dockerfile.train) in `PIPELINE_NAMESPACE`. Pods share nothing,
  so each one pulls DVC's run cache from the remote first (the stages upstream are restored from it, not run
  again) and pushes its own after; give the pods the DVC remote's credentials and a tracking server
  (`MLFLOW_TRACKING_URI`), since a sqlite store in one pod is not seen by the next.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

import yaml

RUNNERS = ("local", "kubernetes")
DEFAULT_IMAGE = "{{ cookiecutter.project_slug }}-train:latest"
# The in-cluster address the k8s/ manifests and docker-compose.yml's `mlflow` service use.
DEFAULT_TRACKING_URI = "http://mlflow.mlflow.svc.cluster.local:5000"
PACKAGE = "{{ cookiecutter.package_name }}"
SLUG = "{{ cookiecutter.project_slug }}"


def project_dir() -> Path:
    """The project the tasks run in (read at each parse, as every setting here)."""
    return Path(os.environ.get("PIPELINE_PROJECT_DIR") or Path(__file__).resolve().parents[2])


def runner() -> str:
    chosen = os.environ.get("PIPELINE_RUNNER", "local")
    if chosen not in RUNNERS:
        raise ValueError(f"PIPELINE_RUNNER={chosen!r}: expected one of {', '.join(RUNNERS)}")
    return chosen


def entry_paths(entries: list[Any]) -> list[str]:
    """`- path` or `- path: {options}` entries of dvc.yaml, as paths."""
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


def stage_upstreams() -> dict[str, set[str]]:
    """Each stage of dvc.yaml (in its order) with the stages that write one of its deps (or its folder)."""
    dvc_yaml = project_dir() / "dvc.yaml"
    stages: dict[str, Any] = yaml.safe_load(dvc_yaml.read_text(encoding="utf-8"))["stages"]
    written = {
        out.rstrip("/"): name
        for name, stage in stages.items()
        for key in ("outs", "metrics", "plots")
        for out in entry_paths(stage.get(key, []))
    }
    return {
        name: {
            producer
            for dep in entry_paths(stage.get("deps", []))
            for out, producer in written.items()
            if producer != name and (dep == out or dep.startswith(out + "/"))
        }
        for name, stage in stages.items()
    }


def step(task_id: str, *argv: str) -> Any:
    """An operator running `argv` (`dvc ...` or `python ...`) in the project, by the runner chosen."""
    if runner() == "kubernetes":
        from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator

        command = shlex.join(argv)
        return KubernetesPodOperator(
            task_id=task_id,
            name=f"{SLUG}-{task_id}".replace("_", "-"),
            namespace=os.environ.get("PIPELINE_NAMESPACE", "default"),
            image=os.environ.get("PIPELINE_IMAGE", DEFAULT_IMAGE),
            cmds=["sh", "-c"],
            arguments=[f"dvc pull --run-cache --allow-missing && {command} && dvc push --run-cache"],
            env_vars={"MLFLOW_TRACKING_URI": os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI)},
            get_logs=True,
            on_finish_action="delete_pod",
        )
    from airflow.providers.standard.operators.bash import BashOperator

    # The Python running Airflow is the project's own: `dvc` and `python` are run with it.
    program = [sys.executable, "-m", "dvc"] if argv[0] == "dvc" else [sys.executable]
    command = shlex.join([*program, *argv[1:]])
    return BashOperator(task_id=task_id, bash_command=command, cwd=str(project_dir()))
