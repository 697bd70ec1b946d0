"""Shared fixtures: small samples from the project's own generator, and a throwaway MLflow store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.sample_data import write_csv
from {{ cookiecutter.package_name }}.stages import prepare

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def sample_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1,000-customer sample written the way the real one is."""
    return write_csv(tmp_path_factory.mktemp("raw") / "churn.csv", rows=1000, seed=7)


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
