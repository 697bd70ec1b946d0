"""The service's endpoints, the task's answer for each record, and every kind of bad input answered with a
4xx naming the problem: a value breaking each check of each feature's schema column."""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from {{ cookiecutter.package_name }} import synthetic, task
from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.features import FEATURES, PERSONAL_FEATURES, TASK
from {{ cookiecutter.package_name }}.schemas import SCHEMAS
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.stages import train

# The error pydantic reports for a value breaking each kind of check, by the column's type.
EXPECTED_ERRORS = {
    "isin": {"literal_error", "value_error"},
    "greater_than_or_equal_to": {"greater_than_equal"},
    "greater_than": {"greater_than"},
    "less_than_or_equal_to": {"less_than_equal"},
    "less_than": {"less_than"},
    "dtype": {"int_type", "float_type", "bool_type"},
    "nullable": {"int_type", "float_type", "bool_type", "string_type", "literal_error"},
}
BREAKING = [
    pytest.param(name, breaking, id=f"{name}-{breaking.check}")
    for name in FEATURES
    for breaking in synthetic.breaking_values(name)
]


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").json() == {"status": "ready", "model_version": "7"}


def test_model_describes_what_is_served_and_its_slas(
    client: TestClient, model_dir: Path, contract: Contract
) -> None:
    described = client.get("/model").json()
    assert (described["name"], described["version"], described["task"]) == (contract.model.name, "7", TASK)
    assert described["uri"] == str(model_dir)
    assert described["slas"]["inference_latency_p99_ms"] == contract.slas.inference_latency_p99_ms


def test_not_ready_while_the_model_cannot_load_and_ready_once_it_can(
    settings: Settings, tmp_path: Path, model_dir: Path, record: dict[str, Any]
) -> None:
    later = tmp_path / "later"  # the model appears after the service started
    with TestClient(create_app(replace(settings, model_uri=str(later)))) as client:
        assert client.get("/health").status_code == 200
        not_ready = client.get("/ready")
        assert not_ready.status_code == 503 and "could not load" in not_ready.json()["detail"]
        assert client.post("/predict", json=record).status_code == 503
        shutil.copytree(model_dir, tmp_path / "copying")
        (tmp_path / "copying").rename(later)  # whole, at once
        for _ in range(100):  # it retries every 0.2 s (load_retry_seconds)
            if client.get("/ready").status_code == 200:
                break
            time.sleep(0.1)
        assert client.post("/predict", json=record).status_code == 200


def test_a_model_for_another_task_is_refused(settings: Settings, model_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(model_dir, other)
    mlmodel = (other / "MLmodel").read_text()
    assert f"task: {TASK}" in mlmodel
    (other / "MLmodel").write_text(mlmodel.replace(f"task: {TASK}", "task: not-this-task"))
    with TestClient(create_app(replace(settings, model_uri=str(other)))) as client:
        detail = client.get("/ready").json()["detail"]
    assert "predicts for a not-this-task task" in detail


def test_one_record_gets_the_models_prediction(client: TestClient, model_dir: Path, record: dict) -> None:
    response = client.post("/predict", json=record)
    assert response.status_code == 200
    body = response.json()
    model = mlflow.sklearn.load_model(str(model_dir))
    expected = task.outputs(task.predict(model, pd.DataFrame([record], columns=list(FEATURES))))
    assert body["model_version"] == "7" and len(body["request_id"]) == 32
    [answer] = body["predictions"]
    assert set(answer) == set(expected[0])
    for key, value in expected[0].items():  # a class exactly; a value, a probability, probabilities closely
        assert answer[key] == (pytest.approx(value, abs=1e-6) if isinstance(value, float | dict) else value)


def test_records_with_missing_values_are_answered(client: TestClient, records: list[dict]) -> None:
    nullable = [name for name in FEATURES if SCHEMAS["processed"].to_schema().columns[name].nullable]
    if not nullable:
        pytest.skip("no feature may be missing")
    with_null = {**records[0], nullable[0]: None}
    assert client.post("/predict", json=with_null).status_code == 200


def test_a_batch_gets_one_prediction_per_record(client: TestClient, records: list[dict]) -> None:
    assert len(client.post("/predict", json=records[:4]).json()["predictions"]) == 4


def test_the_openapi_schema_documents_the_predict_body_and_answer(client: TestClient) -> None:
    """The endpoint parses its body itself: the schema must still say what to send."""
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    one, many = body["anyOf"]
    reference = "#/components/schemas/Record"
    assert one == {"$ref": reference} and many["items"] == {"$ref": reference} and many["minItems"] == 1
    documented = schema["components"]["schemas"]["Record"]
    assert set(documented["required"]) == set(FEATURES) == set(documented["properties"])
    answer = schema["components"]["schemas"]["Prediction"]
    assert set(answer["properties"]) == set(task.Prediction.model_fields)


@pytest.mark.parametrize(("name", "breaking"), BREAKING)
def test_a_value_breaking_a_features_check_is_422_naming_it(
    client: TestClient, record: dict, name: str, breaking: synthetic.Breaking
) -> None:
    response = client.post("/predict", json={**record, name: breaking.value})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", name]
    assert error["type"] in EXPECTED_ERRORS[breaking.check], error


def test_an_extra_field_is_422_naming_it(client: TestClient, record: dict) -> None:
    response = client.post("/predict", json={**record, "not_a_feature": 1})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", "not_a_feature"]


def test_a_missing_field_is_named(client: TestClient, record: dict) -> None:
    name = FEATURES[-1]
    response = client.post("/predict", json={key: value for key, value in record.items() if key != name})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body", name]


def test_an_integer_feature_takes_a_whole_number_with_a_point_and_refuses_a_fraction(
    client: TestClient, record: dict
) -> None:
    """JSON Schema's integer, which the OpenAPI document names, is any whole number: 3.0 is 3."""
    integers = [name for name, value in record.items() if type(value) is int]
    if not integers:
        pytest.skip("no integer feature")
    name, value = integers[0], record[integers[0]]
    answered = client.post("/predict", json=record).json()["predictions"]
    assert client.post("/predict", json={**record, name: float(value)}).json()["predictions"] == answered
    refused = client.post("/predict", json={**record, name: value + 0.5})
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", name]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_422(client: TestClient, record: dict, number: str) -> None:
    floats = [name for name, value in record.items() if isinstance(value, float)]
    if not floats:
        pytest.skip("no float feature")
    body = json.dumps({**record, floats[0]: 1.5}).replace("1.5", number)
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and floats[0] in response.text


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
    assert entries[0]["features"] == {**record, **dict.fromkeys(PERSONAL_FEATURES)}  # no hash key: dropped
    assert entries[0]["prediction"] == first["predictions"][0]
    assert {"timestamp"} <= set(entries[0])


def test_metrics_count_requests_predictions_and_the_model(
    client: TestClient, record: dict, contract: Contract
) -> None:
    predicted = client.post("/predict", json=record).json()["predictions"][0]
    client.post("/predict", json={})
    text = client.get("/metrics").text
    assert 'http_requests_total{path="/predict",status="200"} 1.0' in text
    assert 'http_requests_total{path="/predict",status="422"} 1.0' in text
    assert 'model_info{name="' + contract.model.name + '",version="7"} 1.0' in text
    assert 'http_request_duration_seconds_bucket{le="0.1",path="/predict"}' in text
    if TASK == "regression":
        assert "prediction_value_count 1.0" in text
    else:
        assert 'predictions_total{label="' + str(predicted["prediction"]) + '"} 1.0' in text
    if TASK == "binary":
        assert "prediction_probability_count 1.0" in text


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
            metadata=mlflow.models.Model.load(str(model_dir)).metadata,
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


def test_an_unreachable_registry_leaves_the_service_up_not_ready_saying_why(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")
    started = time.monotonic()
    with TestClient(create_app(replace(settings, model_uri="models:/anything@champion"))) as client:
        assert time.monotonic() - started < 30  # seconds, not MLflow's minutes of retries
        answer = client.get("/ready")
        assert client.get("/health").status_code == 200
    assert answer.status_code == 503
    assert "tracking server at http://127.0.0.1:9 cannot be reached" in answer.json()["detail"]
