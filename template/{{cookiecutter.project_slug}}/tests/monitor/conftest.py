"""Monitoring inputs: the training split, fresh and drifted samples of held-out rows, and a log the real
service wrote, with the truth of each of its predictions as labels arriving later would tell it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.config import load_section
from {{ cookiecutter.package_name }}.features import FEATURES, TARGET
from {{ cookiecutter.package_name }}.monitor import drift, samples
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import prepare

SINGLE_REQUESTS = 100
BATCHES = 10
BATCH_SIZE = 20


@pytest.fixture(scope="session")
def sample_rows(project_root: Path) -> int:
    """Rows of the fresh and drifted samples: enough for the drift check's minimum (params.yaml)."""
    return max(
        500, load_section("monitor", drift.MonitorParams, project_root / "params.yaml").min_current_rows
    )


@pytest.fixture(scope="session")
def reference_csv(tmp_path_factory: pytest.TempPathFactory, split: prepare.Split) -> Path:
    """The training split, as `dvc repro` writes it."""
    path = tmp_path_factory.mktemp("reference") / "train.csv"
    split.train.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def held_out_csv(tmp_path_factory: pytest.TempPathFactory, split: prepare.Split) -> Path:
    path = tmp_path_factory.mktemp("held-out") / "test.csv"
    split.test.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def fresh_csv(tmp_path_factory: pytest.TempPathFactory, held_out_csv: Path, sample_rows: int) -> Path:
    """Rows of the same distribution as the training split: held-out ones, drawn again."""
    path = tmp_path_factory.mktemp("fresh") / "current.csv"
    return samples.write_sample(path, rows=sample_rows, seed=11, source=held_out_csv)


@pytest.fixture(scope="session")
def drifted_csv(tmp_path_factory: pytest.TempPathFactory, held_out_csv: Path, sample_rows: int) -> Path:
    path = tmp_path_factory.mktemp("drifted") / "current.csv"
    return samples.write_sample(path, rows=sample_rows, seed=11, drift=True, source=held_out_csv)


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
    tmp_path_factory: pytest.TempPathFactory, split: prepare.Split, project_root: Path, model_dir: Path
) -> tuple[Path, pd.DataFrame]:
    """An inference log written by the service itself, from single and batch requests, and the truth of each
    prediction: request_id, position in the request, label (written as a labels CSV would write it)."""
    folder = tmp_path_factory.mktemp("served")
    settings = Settings(
        model_uri=str(model_dir),
        model_version="1",
        inference_log=folder / "logs/inference.jsonl",
        contract=project_root / "model_contract.yaml",
        max_batch=BATCH_SIZE,
        max_body_bytes=1_000_000,
    )
    rows = split.test.head(SINGLE_REQUESTS + BATCHES * BATCH_SIZE)
    records = json.loads(rows[list(FEATURES)].to_json(orient="records"))
    truth = rows[TARGET].tolist()
    requests = [[index] for index in range(SINGLE_REQUESTS)] + [
        list(range(start, start + BATCH_SIZE)) for start in range(SINGLE_REQUESTS, len(records), BATCH_SIZE)
    ]
    labels = []
    # Entering the block loads the model (the app's lifespan); leaving it flushes the log.
    with TestClient(create_app(settings)) as client:
        for indices in requests:
            body = records[indices[0]] if len(indices) == 1 else [records[index] for index in indices]
            response = client.post("/predict", json=body)
            assert response.status_code == 200, response.text
            request_id = response.json()["request_id"]
            labels += [(request_id, position, truth[index]) for position, index in enumerate(indices)]
    return settings.inference_log, pd.DataFrame(labels, columns=["request_id", "position", "label"])
