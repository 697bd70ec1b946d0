"""A client of the app serving the session's model, and valid records typed as JSON carries them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import prepare


def as_records(frame: Any) -> list[dict[str, Any]]:
    """Rows as request bodies: JSON types, missing values as null."""
    return json.loads(frame[list(FEATURES)].to_json(orient="records"))


@pytest.fixture
def records(split: prepare.Split) -> list[dict[str, Any]]:
    """Valid request bodies: rows of the held-out split."""
    return as_records(split.test.head(20))


@pytest.fixture
def record(records: list[dict[str, Any]]) -> dict[str, Any]:
    """One valid request body with every feature present (no null)."""
    return next(row for row in records if all(value is not None for value in row.values()))


@pytest.fixture
def settings(model_dir: Path, tmp_path: Path, project_root: Path) -> Settings:
    return Settings(
        model_uri=str(model_dir),
        model_version="7",
        inference_log=tmp_path / "logs/inference.jsonl",
        contract=project_root / "model_contract.yaml",
        max_batch=5,
        max_body_bytes=20_000,
        load_retry_seconds=0.2,
    )


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of the app once its model is loaded (leaving the block flushes the inference log)."""
    with TestClient(create_app(settings)) as client:
        yield client
