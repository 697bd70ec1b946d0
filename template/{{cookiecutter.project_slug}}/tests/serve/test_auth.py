"""API keys (API_KEYS_FILE): the prediction endpoints want one, the probes do not, a rotated file takes
effect without a restart, and a key is never written anywhere."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }}.errors import ProjectError
from {{ cookiecutter.package_name }}.serve import auth
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings

KEY = "k3y-0f-the-billing-team"
OTHER = "k3y-0f-the-search-team"


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    path = tmp_path / "api_keys"
    path.write_text(f"# one key per line\n{KEY}\n\n{OTHER}\n")
    return path


@pytest.fixture
def guarded(settings: Settings, keys_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(auth, "CHECK_EVERY_SECONDS", 0.0)  # read the file again on every request
    with TestClient(create_app(replace(settings, api_keys_file=keys_file))) as client:
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def calls(record: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The two endpoints that want a key, each with a body it accepts."""
    mlflow_payload = {"dataframe_records": [record]}
    return [("/predict", {"json": record}), ("/invocations", {"json": mlflow_payload})]


def test_without_a_key_or_with_a_wrong_one_predictions_are_refused(
    guarded: TestClient, record: dict[str, Any]
) -> None:
    for path, body in calls(record):
        for headers in ({}, bearer("not-a-key"), {"authorization": f"Basic {KEY}"}, bearer("")):
            answer = guarded.post(path, headers=headers, **body)
            assert answer.status_code == 401, (path, headers)
            assert answer.headers["www-authenticate"] == "Bearer"
            assert KEY not in answer.text


def test_with_a_key_predictions_are_answered(guarded: TestClient, record: dict[str, Any]) -> None:
    for path, body in calls(record):
        for key in (KEY, OTHER):
            assert guarded.post(path, headers=bearer(key), **body).status_code == 200, path


def test_probes_and_metrics_need_no_key(guarded: TestClient) -> None:
    for path in ("/health", "/ready", "/ping", "/version", "/metrics"):
        assert guarded.get(path).status_code == 200, path


def test_a_rotated_file_takes_effect_without_a_restart(
    guarded: TestClient, keys_file: Path, record: dict[str, Any]
) -> None:
    rotated = "a-new-key-of-the-billing-team"
    keys_file.write_text(f"{rotated}\n")
    assert guarded.post("/predict", headers=bearer(KEY), json=record).status_code == 401
    assert guarded.post("/predict", headers=bearer(rotated), json=record).status_code == 200
    keys_file.unlink()  # a file that cannot be read: the keys read last stay in force
    assert guarded.post("/predict", headers=bearer(rotated), json=record).status_code == 200


def test_an_empty_file_admits_nobody(settings: Settings, tmp_path: Path, record: dict[str, Any]) -> None:
    empty = tmp_path / "api_keys"
    empty.write_text("# every key revoked\n")
    with TestClient(create_app(replace(settings, api_keys_file=empty))) as client:
        assert client.post("/predict", headers=bearer(""), json=record).status_code == 401
        assert client.post("/predict", headers=bearer("#"), json=record).status_code == 401


def test_a_missing_file_stops_the_service_naming_it(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="missing_keys: API_KEYS_FILE cannot be read"):
        create_app(replace(settings, api_keys_file=tmp_path / "missing_keys"))


def test_the_key_is_never_written(
    settings: Settings, keys_file: Path, record: dict[str, Any], capfd: pytest.CaptureFixture[str]
) -> None:
    with TestClient(create_app(replace(settings, api_keys_file=keys_file))) as client:
        assert client.post("/predict", headers=bearer(KEY), json=record).status_code == 200
        assert client.post("/predict", headers=bearer(KEY + "x"), json=record).status_code == 401
    written = capfd.readouterr()
    assert KEY not in settings.inference_log.read_text() + written.out + written.err


def test_the_openapi_document_says_which_endpoints_want_a_key(
    guarded: TestClient, client: TestClient
) -> None:
    paths = guarded.get("/openapi.json").json()["paths"]
    for path in ("/predict", "/invocations"):
        assert paths[path]["post"]["security"] == [{"HTTPBearer": []}]
        assert "401" in paths[path]["post"]["responses"]
    assert "security" not in paths["/ready"]["get"]
    unguarded = client.get("/openapi.json").json()["paths"]["/predict"]["post"]
    assert "security" not in unguarded and "401" not in unguarded["responses"]
