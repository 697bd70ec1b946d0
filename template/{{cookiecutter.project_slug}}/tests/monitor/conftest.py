"""Monitoring inputs: a training split, fresh and drifted samples, and a log the real service wrote."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.features import FEATURES, TARGET
from {{ cookiecutter.package_name }}.monitor import drift, samples
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import prepare, train

SINGLE_REQUESTS = 100
BATCHES = 10
BATCH_SIZE = 20


@pytest.fixture(scope="session")
def split_sample(sample_csv: Path) -> prepare.Split:
    return prepare.run(pd.read_csv(sample_csv), prepare.PrepareParams(test_size=0.25, seed=0))


@pytest.fixture(scope="session")
def reference_csv(tmp_path_factory: pytest.TempPathFactory, split_sample: prepare.Split) -> Path:
    """The training split, as `dvc repro prepare` writes it."""
    path = tmp_path_factory.mktemp("reference") / "train.csv"
    split_sample.train.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def fresh_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """New customers from the training distribution (another seed)."""
    return samples.write_sample(tmp_path_factory.mktemp("fresh") / "current.csv", rows=500, seed=11)


@pytest.fixture(scope="session")
def drifted_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return samples.write_sample(tmp_path_factory.mktemp("drifted") / "current.csv", 500, 11, drift=True)


@pytest.fixture
def check_drift(workdir: Path, project_root: Path, reference_csv: Path) -> Callable[..., int]:
    """Run the drift check as `make drift` does, from a project root, with reports in workdir/reports."""

    def check(current: Path, *options: str) -> int:
        return drift.main(
            [
                *("--current", str(current), "--reference", str(reference_csv)),
                *("--contract", str(project_root / "model_contract.yaml")),
                *("--output-dir", str(workdir / "reports"), *options),
            ]
        )

    return check


@pytest.fixture(scope="session")
def served(
    tmp_path_factory: pytest.TempPathFactory, split_sample: prepare.Split, project_root: Path
) -> tuple[Path, pd.DataFrame]:
    """An inference log written by the service itself, from single and batch requests, and the truth of each
    prediction as labels arriving later would tell it: request_id, position in the request, label."""
    folder = tmp_path_factory.mktemp("served")
    model = train.run(
        split_sample.train, train.TrainParams(n_estimators=20, max_depth=6, min_samples_leaf=2, seed=0)
    )
    train.save_model(model, folder / "model")
    settings = Settings(
        model_uri=str(folder / "model"),
        model_version="1",
        inference_log=folder / "logs/inference.jsonl",
        contract=project_root / "model_contract.yaml",
        threshold=0.5,
        max_batch=BATCH_SIZE,
        max_body_bytes=1_000_000,
    )
    customers = split_sample.test.head(SINGLE_REQUESTS + BATCHES * BATCH_SIZE)
    records = json.loads(customers[list(FEATURES)].to_json(orient="records"))
    truth = customers[TARGET].tolist()
    requests = [[index] for index in range(SINGLE_REQUESTS)] + [
        list(range(start, start + BATCH_SIZE)) for start in range(SINGLE_REQUESTS, len(records), BATCH_SIZE)
    ]
    labels = []
    # Entering the block loads the model (the app's lifespan); leaving it flushes the log.
    with TestClient(create_app(settings)) as client:
        for rows in requests:
            body = records[rows[0]] if len(rows) == 1 else [records[row] for row in rows]
            response = client.post("/predict", json=body)
            assert response.status_code == 200, response.text
            request_id = response.json()["request_id"]
            labels += [(request_id, position, truth[row]) for position, row in enumerate(rows)]
    return settings.inference_log, pd.DataFrame(labels, columns=["request_id", "position", "label"])
