"""Shared fixtures: small samples from the project's own generator, and a throwaway MLflow store."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.sample_data import write_csv
from {{ cookiecutter.package_name }}.stages import prepare, train

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-customer sample written the way the real one is (seed 5: fair, like the full sample)."""
    return write_csv(tmp_path_factory.mktemp("raw") / "churn.csv", rows=2000, seed=5)


@pytest.fixture
def raw_customers(sample_csv: Path) -> pd.DataFrame:
    return pd.read_csv(sample_csv)


@pytest.fixture
def split(raw_customers: pd.DataFrame) -> prepare.Split:
    return prepare.run(raw_customers, prepare.PrepareParams(test_size=0.25, seed=0))


@pytest.fixture(scope="session")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One sqlite store for the session: creating one runs MLflow's migrations (seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tracking_uri: str) -> Path:
    """An empty project root with the real params.yaml, as `dvc repro` runs stages: from the root."""
    shutil.copy(PROJECT_ROOT / "params.yaml", tmp_path / "params.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    return tmp_path


@pytest.fixture
def write_contract(workdir: Path, project_root: Path) -> Callable[..., Path]:
    """Write the project's model_contract.yaml into `workdir`, with sections changed as given.

    The model is named after the test, so tests sharing the session's registry do not see each other.
    """

    def write(**changes: dict[str, Any]) -> Path:
        contract = yaml.safe_load((project_root / "model_contract.yaml").read_text())
        contract["model"]["name"] = f"model-{workdir.name}"
        # Tests check the gate's logic, not this machine's speed: a latency limit no load can reach.
        contract["slas"]["inference_latency_p99_ms"] = 60_000
        for section, values in changes.items():
            contract[section].update(values)
        path = workdir / "model_contract.yaml"
        path.write_text(yaml.safe_dump(contract, sort_keys=False))
        return path

    return write


@pytest.fixture
def train_candidate(workdir: Path, split: prepare.Split) -> Callable[..., dict[str, str]]:
    """Train and log a candidate as `dvc repro` does, with train params changed as given."""

    def train_with(data: prepare.Split = split, **params: Any) -> dict[str, str]:
        all_params = yaml.safe_load(Path("params.yaml").read_text())
        all_params["train"].update({"n_estimators": 50, **params})
        Path("params.yaml").write_text(yaml.safe_dump(all_params, sort_keys=False))
        train.TRAIN_DATA.parent.mkdir(parents=True, exist_ok=True)
        data.train.to_csv(train.TRAIN_DATA, index=False)
        data.test.to_csv(prepare.TEST_DATA, index=False)
        train.main()
        return json.loads(train.RUN_FILE.read_text())

    return train_with
