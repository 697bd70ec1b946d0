"""The service's endpoints, and every kind of bad input answered with a 4xx naming the problem."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import train


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready", "model_version": "7"}


def test_model_describes_what_is_served_and_its_slas(client: TestClient, model_dir: Path) -> None:
    described = client.get("/model").json()
    assert (described["name"], described["version"]) == ("{{ cookiecutter.model_name }}", "7")
    assert described["uri"] == str(model_dir)
    assert described["slas"]["inference_latency_p99_ms"] == 100


def test_not_ready_when_the_model_cannot_load(settings: Settings, tmp_path: Path, record: dict) -> None:
    with TestClient(create_app(replace(settings, model_uri=str(tmp_path / "missing")))) as client:
        assert client.get("/health").status_code == 200
        not_ready = client.get("/ready")
        assert not_ready.status_code == 503 and "could not load" in not_ready.json()["detail"]
        assert client.post("/predict", json=record).status_code == 503


def test_one_record_gets_the_models_probability(client: TestClient, model_dir: Path, record: dict) -> None:
    response = client.post("/predict", json=record)
    assert response.status_code == 200
    body = response.json()
    expected = mlflow.sklearn.load_model(str(model_dir)).predict_proba(
        pd.DataFrame([record], columns=list(FEATURES))
    )[0, 1]
    assert body["model_version"] == "7" and len(body["request_id"]) == 32
    [prediction] = body["predictions"]
    assert prediction["churn_probability"] == pytest.approx(expected, abs=1e-6)
    assert prediction["churned"] == (expected >= 0.5)


def test_a_batch_gets_one_prediction_per_record(client: TestClient, raw_customers: pd.DataFrame) -> None:
    batch = json.loads(raw_customers[list(FEATURES)].head(4).to_json(orient="records"))
    assert len(client.post("/predict", json=batch).json()["predictions"]) == 4


def test_the_openapi_schema_documents_the_predict_body(client: TestClient) -> None:
    """The endpoint parses its body itself: the schema must still say what to send."""
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    one, many = body["anyOf"]
    customer = "#/components/schemas/Customer"
    assert one == {"$ref": customer} and many["items"] == {"$ref": customer} and many["minItems"] == 1
    documented = schema["components"]["schemas"]["Customer"]
    assert set(documented["required"]) == set(FEATURES) == set(documented["properties"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tenure_months": None}, "tenure_months"),
        ({"tenure_months": "12"}, "tenure_months"),
        ({"senior_citizen": True}, "senior_citizen"),
        ({"contract": "lifetime"}, "contract"),
        ({"monthly_charges": -1.0}, "monthly_charges"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
    ],
)
def test_bad_fields_are_422_with_the_field_named(
    client: TestClient, record: dict, change: dict, field: str
) -> None:
    response = client.post("/predict", json={**record, **change})
    assert response.status_code == 422
    assert field in json.dumps(response.json()["detail"])


def test_a_missing_field_is_named(client: TestClient, record: dict) -> None:
    del record["support_calls"]
    response = client.post("/predict", json=record)
    assert response.status_code == 422 and "support_calls" in response.text


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_422(client: TestClient, record: dict, number: str) -> None:
    body = json.dumps({**record, "monthly_charges": 1.5}).replace("1.5", number)
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and "monthly_charges" in response.text


def test_empty_batch_and_broken_json_are_422(client: TestClient) -> None:
    assert client.post("/predict", json=[]).status_code == 422
    broken = client.post("/predict", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422


def test_too_many_records_or_bytes_are_413(client: TestClient, record: dict) -> None:
    assert client.post("/predict", json=[record] * 6).status_code == 413  # max_batch is 5
    huge = {**record, "padding": "x" * 30_000}  # max_body_bytes is 20,000
    assert client.post("/predict", json=huge).status_code == 413


def test_every_prediction_is_logged_for_monitoring(settings: Settings, record: dict) -> None:
    with TestClient(create_app(settings)) as client:
        first = client.post("/predict", json=record).json()
        client.post("/predict", json=[record, record])
    entries = [json.loads(line) for line in settings.inference_log.read_text().splitlines()]
    assert len(entries) == 3
    assert entries[0]["request_id"] == first["request_id"] and entries[0]["model_version"] == "7"
    assert entries[0]["features"] == record
    assert entries[0]["prediction"] == first["predictions"][0]
    assert {"timestamp"} <= set(entries[0])


def test_metrics_count_requests_predictions_and_the_model(client: TestClient, record: dict) -> None:
    client.get("/ready")
    client.post("/predict", json=record)
    client.post("/predict", json={})
    text = client.get("/metrics").text
    assert 'http_requests_total{path="/predict",status="200"} 1.0' in text
    assert 'http_requests_total{path="/predict",status="422"} 1.0' in text
    assert "prediction_churn_probability_count 1.0" in text
    assert 'model_info{name="{{ cookiecutter.model_name }}",version="7"} 1.0' in text
    assert 'http_request_duration_seconds_bucket{le="0.1",path="/predict"}' in text


def test_serves_the_registry_champion(
    settings: Settings, model_dir: Path, tracking_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
    mlflow.set_tracking_uri(tracking_uri)
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(
            mlflow.sklearn.load_model(str(model_dir)),
            name="served",
            serialization_format="skops",
            skops_trusted_types=train.SKOPS_TRUSTED_TYPES,
            pip_requirements=train.pip_requirements(),
        )
    version = mlflow.register_model(info.model_uri, "served-champion").version
    MlflowClient().set_registered_model_alias("served-champion", "champion", version)

    with TestClient(create_app(replace(settings, model_uri="models:/served-champion@champion"))) as client:
        described = client.get("/model").json()
    assert (described["name"], described["version"], described["alias"]) == (
        "served-champion",
        str(version),
        "champion",
    )
