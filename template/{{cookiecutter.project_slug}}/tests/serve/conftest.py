"""A small trained model saved to disk, and a client of the app serving it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import prepare, train


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory, sample_csv: Path) -> Path:
    split = prepare.run(pd.read_csv(sample_csv), prepare.PrepareParams(test_size=0.25, seed=0))
    model = train.run(
        split.train, train.TrainParams(n_estimators=20, max_depth=6, min_samples_leaf=2, seed=0)
    )
    path = tmp_path_factory.mktemp("served") / "model"
    train.save_model(model, path)
    return path


@pytest.fixture
def record(raw_customers: pd.DataFrame) -> dict[str, object]:
    """One valid request body, typed as JSON carries it."""
    return json.loads(raw_customers[list(FEATURES)].head(1).to_json(orient="records"))[0]


@pytest.fixture
def settings(model_dir: Path, tmp_path: Path, project_root: Path) -> Settings:
    return Settings(
        model_uri=str(model_dir),
        model_version="7",
        inference_log=tmp_path / "logs/inference.jsonl",
        contract=project_root / "model_contract.yaml",
        threshold=0.5,
        max_batch=5,
        max_body_bytes=20_000,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of the app once its model is loaded (leaving the block flushes the inference log)."""
    with TestClient(create_app(settings)) as client:
        yield client
