"""Micro-batching: requests queued together share one model call, and each still gets its own answer."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import mlflow.sklearn
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.features import FEATURES, TASK
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.batcher import MicroBatcher
from {{ cookiecutter.package_name }}.serve.settings import Settings

CONCURRENT = 6


@pytest.fixture
def distinct(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Distinct valid request bodies, one per concurrent request."""
    unique = list({json.dumps(record, sort_keys=True): record for record in records}.values())
    assert len(unique) >= CONCURRENT
    return unique[:CONCURRENT]


@pytest.fixture
def batching(settings: Settings) -> Settings:
    """A call waits (up to a minute) until it has one row from each of the concurrent requests."""
    return replace(settings, batch_max_rows=CONCURRENT, batch_wait_ms=60_000)


def post_together(client: TestClient, bodies: Sequence[object]) -> list[Any]:
    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(lambda body: client.post("/predict", json=body), bodies))


def assert_each_got_its_one_row_prediction(
    responses: Sequence[Any], records: Sequence[dict[str, Any]], model_dir: Path
) -> None:
    model = mlflow.sklearn.load_model(str(model_dir))
    for record, response in zip(records, responses, strict=True):
        assert response.status_code == 200
        [alone] = task.outputs(task.predict(model, pd.DataFrame([record], columns=list(FEATURES))))
        [prediction] = response.json()["predictions"]
        assert prediction["prediction"] == (
            pytest.approx(alone["prediction"], abs=1e-6) if TASK == "regression" else alone["prediction"]
        )


def test_concurrent_requests_share_a_call_and_get_their_own_answers(
    batching: Settings, distinct: list[dict[str, Any]], model_dir: Path
) -> None:
    with TestClient(create_app(batching)) as client:
        responses = post_together(client, distinct)
        metrics = client.get("/metrics").text
    assert "prediction_batch_rows_count 1.0" in metrics  # one model call ...
    assert f"prediction_batch_rows_sum {CONCURRENT}.0" in metrics  # ... for all the rows
    assert_each_got_its_one_row_prediction(responses, distinct, model_dir)
    request_ids = {response.json()["request_id"] for response in responses}
    logged = [json.loads(line) for line in batching.inference_log.read_text().splitlines()]
    assert len(request_ids) == CONCURRENT and {entry["request_id"] for entry in logged} == request_ids


def row_key(values: Any) -> str:
    """A row's values as text, a missing value (null, NaN) the same however it is written."""
    return json.dumps([None if pd.isna(value) else value for value in values], default=str)


class RefusingModel:
    """The real model, except that it raises on a call holding the poisoned row."""

    def __init__(self, model: Any, poisoned: dict[str, Any]) -> None:
        self.model, self.poisoned = model, row_key(poisoned[name] for name in FEATURES)

    def __getattr__(self, name: str) -> Any:  # classes_, threshold: as the real model's
        return getattr(self.model, name)

    def _refuse(self, frame: pd.DataFrame) -> None:
        if any(row_key(row) == self.poisoned for row in frame[list(FEATURES)].itertuples(index=False)):
            raise ValueError("poisoned row")

    def predict_proba(self, frame: pd.DataFrame) -> Any:
        self._refuse(frame)
        return self.model.predict_proba(frame)

    def predict(self, frame: pd.DataFrame) -> Any:
        self._refuse(frame)
        return self.model.predict(frame)


def test_a_failing_call_fails_only_the_request_that_broke_it(
    batching: Settings, distinct: list[dict[str, Any]], model_dir: Path
) -> None:
    with TestClient(create_app(batching)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        store.loaded = replace(store.loaded, model=RefusingModel(store.loaded.model, distinct[0]))
        responses = post_together(client, distinct)
    assert responses[0].status_code == 500
    assert responses[0].json() == {"detail": "the model failed on this request"}
    assert_each_got_its_one_row_prediction(responses[1:], distinct[1:], model_dir)
    logged = batching.inference_log.read_text().splitlines()
    assert len(logged) == CONCURRENT - 1  # the failed request predicted nothing, so logged nothing


def test_calls_hold_whole_requests_up_to_the_row_limit() -> None:
    calls: list[list[int]] = []

    def double(rows: list[dict[str, Any]]) -> list[float]:
        calls.append([row["x"] for row in rows])
        return [2.0 * row["x"] for row in rows]

    async def scenario() -> list[Sequence[float]]:
        batcher = MicroBatcher(double, max_rows=4, max_wait=0.5)
        requests = [[1, 2], [3], [4, 5, 6, 7, 8], [9, 10]]  # the third is over the limit: predicted alone
        answers = await asyncio.gather(*(batcher.predict([{"x": x} for x in xs]) for xs in requests))
        batcher.close()
        return answers

    answers = asyncio.run(scenario())
    assert [list(answer) for answer in answers] == [[2, 4], [6], [8, 10, 12, 14, 16], [18, 20]]
    assert calls == [[1, 2, 3], [4, 5, 6, 7, 8], [9, 10]]


def test_one_request_at_a_time_is_predicted_on_the_event_loop() -> None:
    """The hand-off to the predict thread is skipped while calls are of one row; never once rows queue up."""
    threads: list[str] = []

    def note_thread(rows: list[dict[str, Any]]) -> list[float]:
        threads.append(threading.current_thread().name)
        return [0.5] * len(rows)

    async def scenario() -> None:
        batcher = MicroBatcher(note_thread, max_rows=8)
        await batcher.predict([{"x": 1}])  # alone: on the loop
        await asyncio.gather(*(batcher.predict([{"x": x}]) for x in range(3)))  # queued together: thread
        await batcher.predict([{"x": 1}])  # alone, after a call of several rows: still the thread
        await batcher.predict([{"x": 1}])  # alone again: back on the loop
        await batcher.predict([{"x": 1}, {"x": 2}])  # one request of several rows: the thread
        batcher.close()

    loop = threading.current_thread().name
    asyncio.run(scenario())
    assert [name == loop for name in threads] == [True, False, False, True, False]
