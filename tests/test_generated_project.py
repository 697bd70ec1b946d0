"""Each option set renders a project whose own workflow passes: setup, lint, `dvc repro`, promotion, the
service, the monitors, its tests and `scaffold check`.

These are the slow end-to-end tests (marker `slow`; `pytest -m "not slow"` skips them locally). Option sets
follow cookiecutter-data-science's matrix: the options that change what the project computes interact, so
every task runs with and without a fairness section in its contract; the independent options (DVC remote,
license, deploy target, orchestrator, CI provider, a long project name) rotate across those runs.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import TASKS, git, render_into, without_latency_limit
from projects import (
    TURNOVER_RUN_BY_THE_DEMO,
    assert_conforms,
    assert_monitors_work,
    assert_promoted_and_served,
    run,
)

# The cycle's last two entries are used once each (six option sets, four entries): airflow's is one of them,
# so its `dag.test()` run (tests/test_airflow.py in the project) happens once in the suite.
ROTATED = itertools.cycle(
    [
        {
            "dvc_remote": "s3",
            "license": "Apache-2.0",
            "deploy_target": "kubernetes",
            "orchestrator": "dvc",
            "ci_provider": "github",
        },
        {
            "dvc_remote": "gcs",
            "license": "BSD-3-Clause",
            "deploy_target": "docker",
            "orchestrator": "kubeflow",
            "ci_provider": "gitlab",
        },
        {
            "dvc_remote": "azure",
            "license": "Proprietary",
            "deploy_target": "kubernetes",
            "orchestrator": "kubeflow",
            "ci_provider": "github",
            "project_name": "Customer Lifetime Value And Churn Prediction",
        },
        {
            "dvc_remote": "local",
            "license": "MIT",
            "deploy_target": "docker",
            "orchestrator": "airflow",
            "ci_provider": "gitlab",
        },
    ]
)
OPTION_SETS = [
    {"task": task, "fairness": fairness, **next(ROTATED)} for task in TASKS for fairness in ("fair", "unfair")
]
IDS = ("task", "fairness", "dvc_remote", "license", "deploy_target", "orchestrator", "ci_provider")
METRICS_BY_TASK = {
    "binary": {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"},
    "multiclass": {"accuracy", "f1_macro", "f1_weighted", "roc_auc", "log_loss"},
    "regression": {"rmse", "mae", "r2"},
}
PLOTS_BY_TASK = {
    "binary": ("confusion", "roc"),
    "multiclass": ("confusion", "roc"),
    "regression": ("predicted_vs_actual", "residuals"),
}


def assert_pipeline_ran(project: Path, task: str = "binary") -> dict[str, float]:
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert set(metrics) == METRICS_BY_TASK[task]
    for plot in PLOTS_BY_TASK[task]:
        assert (project / f"reports/plots/{plot}.csv").stat().st_size > 0
    assert (project / "models/model/MLmodel").is_file()
    with sqlite3.connect(project / "mlflow.db") as store:
        [(runs,)] = store.execute("select count(*) from runs where status = 'FINISHED'").fetchall()
        [(test_metrics,)] = store.execute("select count(*) from metrics where key like 'test_%'").fetchall()
    assert runs >= 1 and test_metrics >= len(metrics)
    return metrics


def assert_up_to_date(project: Path) -> None:
    second = run(project, "uv", "run", "dvc", "repro")
    assert "Data and pipelines are up to date." in second
    assert "Running stage" not in second
    assert "Data and pipelines are up to date." in run(project, "uv", "run", "dvc", "status")


@pytest.mark.slow
def test_demo_renders_runs_and_reports(tmp_path: Path) -> None:
    """The README's first command's job, then a user's next steps: lint, rerun, promote, push, clone, pull."""
    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "demo", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "customer-churn"
    assert f"The demo project is at {project}" in result.stdout
    assert "roc_auc" in result.stdout.split("Metrics")[-1]
    metrics = assert_pipeline_ran(project)
    assert metrics["roc_auc"] > 0.85 and metrics["accuracy"] > 0.8, metrics  # the churn example learns
    assert_up_to_date(project)
    run(project, "uv", "run", "ruff", "check", ".")
    run(project, "uv", "run", "ruff", "format", "--check", ".")

    without_latency_limit(project)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Start from the scaffold template")
    first = run(project, "make", "promote")
    assert "version 1 passed the gate and is @champion" in first
    gate = json.loads((project / "reports/gate.json").read_text())
    assert gate["passed"] and gate["champion"] is None
    assert "# Promotion gate: PASSED" in (project / "reports/gate.md").read_text()
    again = run(project, "make", "promote")
    assert "version 1 is already @champion (same training run) and still meets the contract" in again
    assert "Data and pipelines are up to date." in run(project, "uv", "run", "dvc", "status")

    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Promote the first model")
    assert git(project, "status", "--porcelain") == ""
    run(project, "uv", "run", "dvc", "push")

    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(project), str(clone))
    assert not (clone / "data/raw/churn.csv").exists()
    run(clone, "uv", "sync", "--locked", "--quiet")
    run(clone, "uv", "run", "dvc", "pull")
    assert (clone / "data/raw/churn.csv").read_bytes() == (project / "data/raw/churn.csv").read_bytes()
    assert (clone / "models/model/MLmodel").is_file()
    assert "Data and pipelines are up to date." in run(clone, "uv", "run", "dvc", "status")


@pytest.mark.slow
@pytest.mark.parametrize("answers", OPTION_SETS, ids=lambda answers: "-".join(answers[key] for key in IDS))
def test_every_option_set_passes_its_own_checks(tmp_path: Path, answers: dict[str, str]) -> None:
    task = answers["task"]
    project = render_into(tmp_path, {key: value for key, value in answers.items() if key != "fairness"})
    stages = yaml.safe_load((project / "dvc.yaml").read_text())  # the pipeline file parses as YAML
    assert list(stages["stages"]) == ["prepare", "train", "evaluate"]
    if answers["fairness"] == "unfair":
        without_fairness_section(project)

    run(project, "uv", "sync", "--locked", "--quiet")
    run(project, "uv", "run", "ruff", "check", ".")
    run(project, "uv", "run", "ruff", "format", "--check", ".")
    run(project, "uv", "run", "dvc", "repro")
    assert_pipeline_ran(project, task)
    assert_up_to_date(project)
    assert_promoted_and_served(project, fairness=answers["fairness"] == "fair")
    assert_monitors_work(project)
    run(project, "uv", "run", "pytest", "-q", "-p", "no:cacheprovider", *covered_elsewhere(answers))
    assert_scale_out_targets_work(project, answers)
    assert_conforms(project)


def covered_elsewhere(answers: dict[str, str]) -> list[str]:
    """pytest options leaving out the project's tests that the option set cannot change.

    The stages and the service (tests/stages, tests/serve: servers started for real, a third of the suite's
    time) read the task and the data, never the contract's fairness section nor the rotated options: the
    render of the same task with fairness runs them, so the one without does not run them again. The
    tests of how gunicorn runs the service run in the demo's render only (projects.TURNOVER_RUN_BY_THE_DEMO).
    """
    if answers["fairness"] == "fair":
        return list(TURNOVER_RUN_BY_THE_DEMO)
    return ["--ignore=tests/stages", "--ignore=tests/serve"]


def without_fairness_section(project: Path) -> None:
    """Delete the contract's fairness section, as a project with no protected attribute does."""
    contract = project / "model_contract.yaml"
    text = contract.read_text()
    start, end = text.index("\nfairness:"), text.index("\nmonitoring:")
    contract.write_text(text[:start] + "\n" + text[end:])
    assert "fairness" not in yaml.safe_load(contract.read_text())


def assert_scale_out_targets_work(project: Path, answers: dict[str, str]) -> None:
    """The Makefile targets the options add, run as a user runs them."""
    if answers["deploy_target"] == "kubernetes":
        run(project, "make", "k8s")
    if answers["orchestrator"] == "kubeflow":
        output = run(project, "make", "kubeflow", "IMAGE=registry.example.com/train:1.0")
        assert "compiled pipelines/pipeline.yaml (image registry.example.com/train:1.0)" in output
        compiled = yaml.safe_load((project / "pipelines/pipeline.yaml").read_text())
        assert set(compiled["root"]["dag"]["tasks"]) == {"prepare", "train", "evaluate"}
        assert "pipelines/pipeline.yaml" not in git(project, "ls-files")
        assert "pipelines/" not in git(project, "status", "--porcelain")  # .gitignore keeps the build out
