"""MLflow's scoring protocol on /invocations: each of MLflow's payloads, and CSV, gets the model's `predict`
for its rows, checked by the same request model as /predict; what MLflow's server refuses is refused too.
(test_server.py compares the answers with `mlflow models serve` itself, through MLflow's own client.)"""

from __future__ import annotations

import json
import re
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from {{ cookiecutter.package_name }} import synthetic, task
from {{ cookiecutter.package_name }}.features import FEATURES, TASK


def payloads(records: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """The same rows in each format MLflow's server reads: name -> (content type, body)."""
    columns = {name: [record[name] for record in records] for name in FEATURES}
    split = {"columns": list(FEATURES), "data": [[record[name] for name in FEATURES] for record in records]}
    bodies = {
        "dataframe_split": {"dataframe_split": split},
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs": {"inputs": records},
        "inputs-as-columns": {"inputs": columns},
    }
    formats = {name: ("application/json", json.dumps(body)) for name, body in bodies.items()}
    formats["csv"] = ("text/csv", pd.DataFrame(records, columns=list(FEATURES)).to_csv(index=False))
    return formats


RAGGED = {"columns": ["a"], "data": [[1, 2]]}
INDEX_NOT_A_LIST = {"columns": [], "data": [], "index": "rows"}
NO_PARAMS: dict[str, Any] = {}


def invoke(client: TestClient, content_type: str, body: str) -> Any:
    return client.post("/invocations", content=body, headers={"content-type": content_type})


def test_every_mlflow_payload_gets_the_same_predictions_as_predict(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    typed = [
        output["prediction"] for output in client.post("/predict", json=records[:5]).json()["predictions"]
    ]
    for name, (content_type, body) in payloads(records[:5]).items():
        response = invoke(client, content_type, body)
        assert response.status_code == 200, (name, response.text)
        predicted = response.json()["predictions"]
        if TASK == "regression":  # /predict rounds its values; MLflow's protocol answers them unrounded
            predicted = [round(value, task.DECIMALS) for value in predicted]
        assert predicted == typed, name


def test_a_frame_from_pandas_with_missing_values_and_whole_floats_is_read_as_mlflow_reads_it(
    client: TestClient, records: list[dict[str, Any]]
) -> None:
    """pandas holds an integer column with a missing value as floats, and sends NaN: still the same rows."""
    frame = pd.DataFrame(records[:5], columns=list(FEATURES))
    as_floats = frame.astype({name: float for name in FEATURES if pd.api.types.is_integer_dtype(frame[name])})
    body = json.dumps({"dataframe_split": as_floats.to_dict(orient="split")})  # NaN where values are missing
    expected = invoke(client, *payloads(records[:5])["dataframe_split"]).json()
    assert invoke(client, "application/json", body).json() == expected


def test_a_value_breaking_a_features_check_is_mlflows_bad_request_naming_it(
    client: TestClient, record: dict[str, Any]
) -> None:
    for name in FEATURES:
        for breaking in synthetic.breaking_values(name):
            body = json.dumps({"dataframe_records": [{**record, name: breaking.value}]})
            response = invoke(client, "application/json", body)
            assert response.status_code == 400, (name, breaking)
            answer = response.json()
            assert answer["error_code"] == "BAD_REQUEST" and f"0.{name}:" in answer["message"], answer


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        pytest.param("application/json", '{"rows": []}', 400, id="no-mlflow-format"),
        pytest.param("application/json", '{"inputs": [], "instances": []}', 400, id="two-formats"),
        pytest.param("application/json", '{"inputs": []}', 400, id="no-rows"),
        pytest.param("application/json", "{not json", 400, id="broken-json"),
        pytest.param(
            "application/json",
            json.dumps({"dataframe_split": RAGGED}),
            400,
            id="ragged-split",
        ),
        pytest.param("application/json", '{"inputs": [{}], "rows": []}', 400, id="another-key"),
        pytest.param("application/json", '{"inputs": [{}], "params": []}', 400, id="params-not-an-object"),
        pytest.param(
            "application/json",
            json.dumps({"dataframe_split": INDEX_NOT_A_LIST}),
            400,
            id="split-index-not-a-list",
        ),
        pytest.param("application/xml", "<rows/>", 415, id="other-content-type"),
        pytest.param("application/json; charset=latin-1", "{}", 415, id="other-charset"),
    ],
)
def test_what_mlflows_server_refuses_is_refused(
    client: TestClient, content_type: str, body: str, status: int
) -> None:
    response = invoke(client, content_type, body)
    assert response.status_code == status and "message" in response.json()


def test_extra_columns_and_a_row_per_column_count_are_checked(
    client: TestClient, record: dict[str, Any]
) -> None:
    extra = json.dumps({"dataframe_records": [{**record, "not_a_feature": 1}]})
    assert "not_a_feature" in invoke(client, "application/json", extra).json()["message"]
    header, row = payloads([record])["csv"][1].splitlines()
    assert invoke(client, "text/csv", f"{header}\n{row},1\n").status_code == 400


def test_ping_and_version_as_mlflow_answers_them(client: TestClient) -> None:
    import mlflow

    assert client.get("/ping").status_code == 200
    assert client.get("/version").text == mlflow.__version__


def documented_body(client: TestClient, content_type: str) -> Draft202012Validator:
    """A validator of /invocations' body as the OpenAPI document describes it (its references resolved)."""
    document = client.get("/openapi.json").json()
    schema = document["paths"]["/invocations"]["post"]["requestBody"]["content"][content_type]["schema"]
    return Draft202012Validator({**schema, "components": document["components"]})


def with_value(record: dict[str, Any], name: str, value: Any) -> list[dict[str, Any]]:
    return [{**record, name: value}]


def test_the_documented_json_payloads_are_what_the_service_takes(
    client: TestClient, records: list[dict[str, Any]], record: dict[str, Any]
) -> None:
    """Each of MLflow's payloads of valid rows fits the document; a value the service refuses does not."""
    validator = documented_body(client, "application/json")
    for name, (content_type, body) in payloads(records[:5]).items():
        if content_type == "application/json" and name != "inputs-as-columns":  # columns: not documented
            assert validator.is_valid(json.loads(body)), name
            with_params = {**json.loads(body), "params": NO_PARAMS}  # MLflow's inference parameters, unread
            assert validator.is_valid(with_params), name
            assert invoke(client, content_type, json.dumps(with_params)).status_code == 200, name
    for name in FEATURES:
        for breaking in synthetic.breaking_values(name):
            for payload in ("dataframe_split", "dataframe_records"):
                body = json.loads(payloads(with_value(record, name, breaking.value))[payload][1])
                assert not validator.is_valid(body), (payload, name, breaking)


def test_the_documented_csv_is_what_pandas_writes_and_holds_no_value_the_service_refuses(
    client: TestClient, records: list[dict[str, Any]], record: dict[str, Any]
) -> None:
    pattern = re.compile(documented_body(client, "text/csv").schema["pattern"])
    assert pattern.search(payloads(records)["csv"][1])
    assert not pattern.search(""), "an empty body is no CSV the service takes"
    for name in FEATURES:
        for breaking in synthetic.breaking_values(name):
            body = payloads(with_value(record, name, breaking.value))["csv"][1]
            assert not pattern.search(body), (name, breaking)
            assert invoke(client, "text/csv", body).status_code == 400, (name, breaking)
