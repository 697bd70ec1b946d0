"""Shared fixtures: synthetic rows from the project's own schema, small models, a throwaway MLflow store.

Nothing here names a column, a class or a value of the data: the rows come from `synthetic.frame`, which
reads the schema, and the expectations of the tests come from the feature spec, the schema, params.yaml and
the contract. So the tests keep testing when the data, the parameters or the contract's values change.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import synthetic
from {{ cookiecutter.package_name }}.config import load_section
from {{ cookiecutter.package_name }}.contract import Contract, load_contract
from {{ cookiecutter.package_name }}.monitor import rules
from {{ cookiecutter.package_name }}.paths import RUN_FILE, TEST_SPLIT, TRAIN_SPLIT
from {{ cookiecutter.package_name }}.stages import prepare, train

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ANY_RATIO = 1e-9  # a fairness range that any model is within
QUICK_ITERATIONS = 30  # boosting rounds of the models tests train: seconds, not minutes


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def contract(project_root: Path) -> Contract:
    return load_contract(project_root / "model_contract.yaml")


@pytest.fixture(scope="session")
def monitoring_files(tmp_path_factory: pytest.TempPathFactory, project_root: Path) -> Path:
    """What `make rules` writes from the contract as it is now, in a directory of its own: the alerting
    rules, their promtool tests and the scrape config in it, the Grafana dashboard as dashboard.json.

    The tests test these, not the committed copies, so editing the contract breaks no test; that the committed
    copies still hold the contract's thresholds is `scaffold check`'s rule MC201 (run `make rules`).
    """
    directory = tmp_path_factory.mktemp("monitoring")
    rules.write(project_root / "model_contract.yaml", directory, directory / "dashboard.json")
    return directory


Promtool = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def promtool() -> Promtool:
    """Run Prometheus' promtool (Debian's and Ubuntu's `prometheus` package) with arguments, in `cwd`: skipped
    where it is not installed, failed in CI, which installs it."""
    found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is not installed (apt-get install prometheus)")
        pytest.skip("promtool is not installed (apt-get install prometheus)")

    def run(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([found, *arguments], cwd=cwd, capture_output=True, text=True, check=False)

    return run


@pytest.fixture(scope="session")
def dvc_stages(project_root: Path) -> dict[str, Any]:
    """dvc.yaml's stages, by name: what an orchestrator's DAG must run."""
    return yaml.safe_load((project_root / "dvc.yaml").read_text(encoding="utf-8"))["stages"]


@pytest.fixture(scope="session")
def dvc_edges(dvc_stages: dict[str, Any]) -> set[tuple[str, str]]:
    """(producer, consumer) for every dep of a stage that is, or is inside, another stage's out: the edges an
    orchestrator's DAG must have, read from dvc.yaml here and not from the code that builds the DAG."""

    def paths(entries: list[Any]) -> list[str]:
        return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]

    written = {
        out: name
        for name, stage in dvc_stages.items()
        for key in ("outs", "metrics", "plots")
        for out in paths(stage.get(key, []))
    }
    return {
        (producer, name)
        for name, stage in dvc_stages.items()
        for dep in paths(stage.get("deps", []))
        for out, producer in written.items()
        if dep == out or dep.startswith(out + "/")
    }


@pytest.fixture(scope="session")
def protected(contract: Contract) -> str | None:
    """The contract's protected attribute, if it names one."""
    return contract.fairness.protected_attribute if contract.fairness else None


@pytest.fixture(scope="session")
def raw_frame(protected: str | None) -> pd.DataFrame:
    """2,000 raw rows drawn from the schema (the protected attribute plays no part in the target)."""
    return synthetic.frame(rows=2000, seed=5, ignore=[protected] if protected else [])


@pytest.fixture
def raw_rows(raw_frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the raw rows, for a test to change."""
    return raw_frame.copy()


@pytest.fixture(scope="session")
def raw_csv(tmp_path_factory: pytest.TempPathFactory, raw_frame: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("raw") / "raw.csv"
    raw_frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def split(raw_frame: pd.DataFrame) -> prepare.Split:
    return prepare.run(raw_frame, prepare.PrepareParams(test_size=0.25, seed=0))


@pytest.fixture(scope="session")
def quick_params(project_root: Path) -> train.TrainParams:
    """The project's train parameters, with fewer boosting rounds."""
    params = load_section("train", train.TrainParams, project_root / "params.yaml")
    return replace(params, max_iter=min(params.max_iter, QUICK_ITERATIONS))


@pytest.fixture(scope="session")
def model(split: prepare.Split, quick_params: train.TrainParams) -> Any:
    return train.run(split.train, quick_params)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, model: Any, split: prepare.Split) -> Path:
    """The session's model, saved as the train stage saves it (with its metadata)."""
    path = tmp_path_factory.mktemp("model") / "model"
    train.save_model(model, path, train.metadata(split.train))
    return path


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One sqlite store for the session: creating one runs MLflow's migrations (seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking_uri: str, project_root: Path) -> Path:
    """An empty project root with the real params.yaml and dvc.yaml: stages run from the root, as in DVC."""
    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy(project_root / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    return tmp_path


ContractWriter = Callable[..., Path]


@pytest.fixture
def write_contract(workdir: Path, project_root: Path) -> ContractWriter:
    """Write the project's model_contract.yaml into `workdir`, with sections changed as given.

    `write_contract(slas=dict(metrics={}), without=("fairness",))` replaces keys of sections and drops
    whole sections. The model is named after the test, so tests sharing the session's registry do not see each
    other. The latency limit is lifted, since tests check the gate's logic, not this machine's speed, and so
    is the fairness range, unless a test gives one: a test's few hundred held-out rows make the groups' rates
    differ by chance more than a fair model's would on real data.
    """

    def write(without: tuple[str, ...] = (), **changes: dict[str, Any]) -> Path:
        document = yaml.safe_load((project_root / "model_contract.yaml").read_text())
        document["model"]["name"] = f"model-{workdir.name}"
        document["slas"]["inference_latency_p99_ms"] = 60_000
        if "fairness" in document and "fairness" not in changes:
            document["fairness"]["disparate_impact"] = [ANY_RATIO, 1 / ANY_RATIO]
        for section, values in changes.items():
            document[section].update(values)
        for section in without:
            document.pop(section, None)
        path = workdir / "model_contract.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    return write


Trainer = Callable[..., dict[str, str]]


@pytest.fixture
def train_candidate(workdir: Path, split: prepare.Split, project_root: Path) -> Trainer:
    """Train and log a candidate as `dvc repro` does (train.main), with train parameters changed as given
    (from the project's params.yaml, each time)."""

    def train_with(data: prepare.Split = split, **params: Any) -> dict[str, str]:
        all_params = yaml.safe_load((project_root / "params.yaml").read_text())
        all_params["train"]["max_iter"] = min(all_params["train"]["max_iter"], QUICK_ITERATIONS)
        all_params["train"].update(params)
        Path("params.yaml").write_text(yaml.safe_dump(all_params, sort_keys=False))
        TRAIN_SPLIT.parent.mkdir(parents=True, exist_ok=True)
        data.train.to_csv(TRAIN_SPLIT, index=False)
        data.test.to_csv(TEST_SPLIT, index=False)
        assert train.main([]) == 0
        return json.loads(RUN_FILE.read_text())

    return train_with
