"""Each option set renders a project whose own workflow passes: setup, lint, `dvc repro`, promotion, the
service, the monitors, its tests and `scaffold check`.

These are the slow end-to-end tests (marker `slow`; `pytest -m "not slow"` skips them locally). Option sets
follow cookiecutter-data-science's matrix: the options that change what the project computes interact, so
every task runs with and without a fairness section in its contract; the independent options (DVC remote,
license, deploy target, orchestrator, a long project name) rotate across those runs.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import TASKS, feature_spec, git, render_into, without_latency_limit

ROTATED = itertools.cycle(
    [
        {"dvc_remote": "s3", "license": "Apache-2.0", "deploy_target": "kubernetes", "orchestrator": "dvc"},
        {
            "dvc_remote": "gcs",
            "license": "BSD-3-Clause",
            "deploy_target": "docker",
            "orchestrator": "kubeflow",
        },
        {
            "dvc_remote": "azure",
            "license": "Proprietary",
            "deploy_target": "kubernetes",
            "orchestrator": "kubeflow",
            "project_name": "Customer Lifetime Value And Churn Prediction",
        },
        {"dvc_remote": "local", "license": "MIT", "deploy_target": "docker", "orchestrator": "dvc"},
    ]
)
OPTION_SETS = [
    {"task": task, "fairness": fairness, **next(ROTATED)} for task in TASKS for fairness in ("fair", "unfair")
]
IDS = ("task", "fairness", "dvc_remote", "license", "deploy_target", "orchestrator")
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


def run(project: Path, *command: str) -> str:
    """Run a command in the project the way its README says; fail with its output if it fails."""
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


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
    run(project, "uv", "run", "pytest", "-q", "-p", "no:cacheprovider")
    assert_scale_out_targets_work(project, answers)
    assert_conforms(project)


def without_fairness_section(project: Path) -> None:
    """Delete the contract's fairness section, as a project with no protected attribute does."""
    contract = project / "model_contract.yaml"
    text = contract.read_text()
    start, end = text.index("\nfairness:"), text.index("\nmonitoring:")
    contract.write_text(text[:start] + "\n" + text[end:])
    assert "fairness" not in yaml.safe_load(contract.read_text())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(project: Path) -> Iterator[str]:
    """`make serve` on a free port, until /ready answers; stopped however the block ends."""
    port = free_port()
    process = subprocess.Popen(["make", "serve", f"PORT={port}"], cwd=project, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ready", timeout=2):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (
                    "make serve did not become ready"
                )
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def post(url: str, body: object) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{url}/predict", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# Run by the project's interpreter: a held-out record as JSON, and the same record with a value breaking the
# first feature's first check (from the schema, as the project's tests do).
RECORDS = """
import json, sys
import pandas as pd
from {package}.features import FEATURES
from {package}.paths import model_frames
from {package}.synthetic import breaking_values
row = json.loads(pd.read_csv(model_frames().test)[list(FEATURES)].head(1).to_json(orient="records"))[0]
bad = {{**row, FEATURES[0]: breaking_values(FEATURES[0])[0].value}}
print(json.dumps({{"good": row, "bad": bad}}))
"""


def assert_promoted_and_served(project: Path, *, fairness: bool) -> None:
    """`make promote` makes the first model @champion; `make serve` answers a held-out record with the task's
    prediction, and a bad record with 422."""
    without_latency_limit(project)
    promoted = run(project, "make", "promote")
    assert "version 1 passed the gate and is @champion" in promoted
    gate = json.loads((project / "reports/gate.json").read_text())
    [rule] = [rule for rule in gate["rules"] if rule["name"].startswith(("fairness", "disparate impact"))]
    assert (rule["limit"] == "not configured") is not fairness
    package = next(project.glob("src/*/features.py")).parent.name
    records = json.loads(run(project, "uv", "run", "python", "-c", RECORDS.format(package=package)))
    spec = feature_spec(project)
    with serving(project) as url:
        status, answer = post(url, records["good"])
        assert status == 200, answer
        [prediction] = answer["predictions"]
        if spec["TASK"] == "regression":
            assert set(prediction) == {"prediction"} and isinstance(prediction["prediction"], float)
        else:
            assert prediction["prediction"] in spec["CLASSES"]
            assert set(prediction) == {
                "prediction",
                "probability" if spec["TASK"] == "binary" else "probabilities",
            }
        status, answer = post(url, records["bad"])
        assert status == 422 and answer["detail"][0]["loc"] == ["body", spec["FEATURES"][0]], answer


def assert_monitors_work(project: Path) -> None:
    """`make drift` on the held-out split finds no drift; `make drift-demo` catches its drifted sample."""
    run(project, "make", "drift", "CURRENT=data/processed/test.csv")
    assert json.loads((project / "reports/monitoring/drift.json").read_text())["drift_detected"] is False
    assert "drift-demo: drift caught" in run(project, "make", "drift-demo")


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


def assert_conforms(project: Path) -> None:
    from scaffold.check.engine import run_checks

    git(project, "add", "--all")
    report = run_checks(project)
    assert report.findings == []
