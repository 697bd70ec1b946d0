"""Each option set renders a project whose own workflow passes: setup, lint, `dvc repro`, its tests.

These are the slow end-to-end tests (marker `slow`; `pytest -m "not slow"` skips them locally). Option
sets follow cookiecutter-data-science's matrix: `dvc_remote` changes what is installed and configured, so
every value runs (`local` through the demo); `license` is independent, so its values rotate across the
runs; one run has a long project name, to catch lines that overflow only for long package names.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import git, render_into, without_latency_limit

OPTION_SETS = [
    {"dvc_remote": "s3", "license": "Apache-2.0", "deploy_target": "kubernetes", "orchestrator": "dvc"},
    {"dvc_remote": "gcs", "license": "BSD-3-Clause", "deploy_target": "docker", "orchestrator": "kubeflow"},
    {
        "dvc_remote": "azure",
        "license": "Proprietary",
        "deploy_target": "kubernetes",
        "orchestrator": "kubeflow",
        "project_name": "Customer Lifetime Value And Churn Prediction",
    },
]
IDS = ("dvc_remote", "license", "deploy_target", "orchestrator")


def run(project: Path, *command: str) -> str:
    """Run a command in the project the way its README says; fail with its output if it fails."""
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def assert_pipeline_ran(project: Path) -> None:
    metrics = json.loads((project / "reports/metrics.json").read_text())
    assert metrics["roc_auc"] > 0.85 and metrics["accuracy"] > 0.8, metrics
    for plot in ("reports/plots/confusion.csv", "reports/plots/roc.csv"):
        assert (project / plot).stat().st_size > 0
    assert (project / "models/model/MLmodel").is_file()
    with sqlite3.connect(project / "mlflow.db") as store:
        [(runs,)] = store.execute("select count(*) from runs where status = 'FINISHED'").fetchall()
        [(test_metrics,)] = store.execute(
            "select count(*) from metrics where key = 'test_roc_auc'"
        ).fetchall()
    assert runs >= 1 and test_metrics >= 1


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
    assert_pipeline_ran(project)
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
    assert "version 1 is already @champion (same training run): nothing to promote" in again
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
    project = render_into(tmp_path, answers)
    remote = yaml.safe_load((project / "dvc.yaml").read_text())  # the pipeline file parses as YAML
    assert list(remote["stages"]) == ["prepare", "train", "evaluate"]

    run(project, "uv", "sync", "--locked", "--quiet")
    run(project, "uv", "run", "ruff", "check", ".")
    run(project, "uv", "run", "ruff", "format", "--check", ".")
    run(project, "uv", "run", "dvc", "repro")
    assert_pipeline_ran(project)
    assert_up_to_date(project)
    run(project, "uv", "run", "pytest", "-q", "-p", "no:cacheprovider")
    assert_scale_out_targets_work(project, answers)
    assert_conforms(project)


def assert_scale_out_targets_work(project: Path, answers: dict[str, str]) -> None:
    """The Makefile targets the options add, run as a user runs them."""
    if answers["deploy_target"] == "kubernetes":
        run(project, "make", "k8s")
    if answers["orchestrator"] == "kubeflow":
        output = run(project, "make", "kubeflow", "IMAGE=registry.example.com/churn-train:1.0")
        assert "compiled pipelines/pipeline.yaml (image registry.example.com/churn-train:1.0)" in output
        compiled = yaml.safe_load((project / "pipelines/pipeline.yaml").read_text())
        assert set(compiled["root"]["dag"]["tasks"]) == {"prepare", "train", "evaluate"}
        assert "pipelines/pipeline.yaml" not in git(project, "ls-files")
        assert "pipelines/" not in git(project, "status", "--porcelain")  # .gitignore keeps the build out


def assert_conforms(project: Path) -> None:
    from scaffold.check.engine import run_checks

    git(project, "add", "--all")
    report = run_checks(project)
    assert report.findings == []
