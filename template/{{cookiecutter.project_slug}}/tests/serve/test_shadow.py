"""A challenger in the champion's shadow: it predicts every request after the champion has answered, in a
process of its own; both predictions are logged under one request id, and a challenger that raises or hangs
changes neither the champion's answers nor their latency."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import cloudpickle
import mlflow.sklearn
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.features import TARGET, TASK
from {{ cookiecutter.package_name }}.monitor import quality
from {{ cookiecutter.package_name }}.serve.app import create_app
from {{ cookiecutter.package_name }}.serve.challenger import Failed, Followed, Taken
from {{ cookiecutter.package_name }}.serve.settings import Settings
from {{ cookiecutter.package_name }}.serve.shadow import Reports, framed
from {{ cookiecutter.package_name }}.stages import prepare, train

CHALLENGER = "8"  # the champion of the `settings` fixture is version "7"
SLEEP = 0.5  # seconds a hanging challenger takes per call
REQUESTS = 30
LOAD_WITHIN = 120  # seconds a challenger's process may take to start and load, on a busy machine


class Wrapped:
    """The real model, with `before` run first whenever it predicts: a challenger that sleeps or raises."""

    def __init__(self, model: Any, before: Callable[[], None]) -> None:
        self.model, self.before = model, before

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or "model" not in vars(self):  # unpickling looks some up before __init__
            raise AttributeError(name)
        return getattr(self.model, name)

    def predict(self, frame: pd.DataFrame) -> Any:
        self.before()
        return self.model.predict(frame)

    def predict_proba(self, frame: pd.DataFrame) -> Any:
        self.before()
        return self.model.predict_proba(frame)


def sleep() -> None:
    time.sleep(SLEEP)


def fail() -> None:
    raise RuntimeError("the challenger broke")


def sample(client: TestClient, metric: str, **labels: str) -> float:
    """The value of one sample of /metrics (0 when it is not exported)."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for found in family.samples:
            if found.name == metric and found.labels == labels:
                return float(found.value)
    return 0.0


def eventually(condition: Callable[[], bool], within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "the shadow did not get there in time"
        time.sleep(0.02)


def challenger_that(before: Callable[[], None], model: Any, split: prepare.Split, folder: Path) -> Path:
    """The session's model saved as an MLflow model whose predictions run `before` first: the challenger's
    process loads it as any other. Pickled by value, as that process cannot import this test module."""
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    path = folder / f"challenger-{before.__name__}"
    mlflow.sklearn.save_model(
        Wrapped(model, before),
        path,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        pip_requirements=train.pip_requirements(),
        metadata=train.metadata(split.train),
    )
    return path


@pytest.fixture
def shadowed(settings: Settings, model_dir: Path, tmp_path: Path) -> Settings:
    """The session's model served, and shadowed by a copy of it labelled as another version (the same
    directory would be the champion itself, not shadowed)."""
    challenger = shutil.copytree(model_dir, tmp_path / "challenger")
    return replace(
        settings,
        max_batch=20,
        shadow_model_uri=str(challenger),
        shadow_model_version=CHALLENGER,
        shadow_batch_wait_ms=10,
    )


@pytest.fixture
def misbehaving(
    shadowed: Settings, model: Any, split: prepare.Split, tmp_path: Path
) -> Callable[[Callable[[], None]], Settings]:
    """`shadowed`, by a challenger that runs the function given before each of its predictions."""

    def shadowed_by(before: Callable[[], None]) -> Settings:
        return replace(shadowed, shadow_model_uri=str(challenger_that(before, model, split, tmp_path)))

    return shadowed_by


@contextmanager
def serving(settings: Settings) -> Iterator[TestClient]:
    """A client of the app once its champion is loaded and, with a shadow, once the challenger's process has
    loaded the challenger (it imports MLflow first: seconds)."""
    with TestClient(create_app(settings)) as client:
        shadow = client.app.state.shadow  # type: ignore[attr-defined]
        if shadow is not None:
            eventually(lambda: shadow.active, within=LOAD_WITHIN)
        yield client


def timed_answers(client: TestClient, record: dict[str, Any]) -> tuple[list[Any], list[float]]:
    answers, seconds = [], []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.post("/predict", json=record)
        seconds.append(time.perf_counter() - start)
        assert response.status_code == 200, response.text
        answers.append(response.json()["predictions"])
    return answers, seconds


def test_both_predictions_are_logged_with_the_request_id_and_both_versions(
    shadowed: Settings, records: list[dict[str, Any]], split: prepare.Split, contract: Contract
) -> None:
    with serving(shadowed) as client:
        single = client.post("/predict", json=records[0]).json()
        batch = client.post("/predict", json=records).json()
        eventually(lambda: sample(client, "shadow_predictions_total", version=CHALLENGER) == 1 + len(records))
        assert client.get("/model").json()["shadow"]["version"] == CHALLENGER
        assert sample(client, "shadow_model_info", name=contract.model.name, version=CHALLENGER) == 1
        if TASK == "regression":  # the same model: no difference, and agreement on every row
            assert sample(client, "shadow_absolute_difference_count", version=CHALLENGER) == 1 + len(records)
            assert sample(client, "shadow_absolute_difference_sum", version=CHALLENGER) == 0
        else:
            assert sample(client, "shadow_agreements_total", version=CHALLENGER) == 1 + len(records)
    entries = [json.loads(line) for line in shadowed.inference_log.read_text().splitlines()]
    champion = [entry for entry in entries if "role" not in entry]
    challenger = [entry for entry in entries if entry.get("role") == "shadow"]
    for answered in (single, batch):
        ours = [e for e in champion if e["request_id"] == answered["request_id"]]
        theirs = [e for e in challenger if e["request_id"] == answered["request_id"]]
        assert [e["prediction"] for e in ours] == answered["predictions"] == [e["prediction"] for e in theirs]
        assert {e["model_version"] for e in ours} == {"7"}
        assert {(e["model_version"], e["champion_version"]) for e in theirs} == {(CHALLENGER, "7")}

    # make quality compares the two on the labelled rows, on the contract's promotion metric.
    labels = pd.DataFrame(
        {
            "request_id": batch["request_id"],
            "position": range(len(records)),
            "label": split.test[TARGET].head(len(records)).tolist(),
        }
    )
    folder = shadowed.inference_log.parent
    labels.to_csv(folder / "labels.csv", index=False)
    quality.main(
        [
            *("--labels", str(folder / "labels.csv"), "--log", str(shadowed.inference_log)),
            *("--contract", str(shadowed.contract), "--output-dir", str(folder)),
        ]
    )
    report = json.loads((folder / "quality.json").read_text())
    [compared] = report["shadow"]
    assert (compared["champion_version"], compared["challenger_version"], compared["rows"]) == (
        "7",
        CHALLENGER,
        len(records),
    )
    assert compared["champion"] == compared["challenger"]  # the same model: a tie, the champion stays
    assert compared["winner"] != "challenger"
    assert report["matched"] == len(records)  # the challenger's entries are not counted as the champion's


def test_a_challenger_that_raises_changes_no_answer_and_is_counted(
    settings: Settings, misbehaving: Callable[[Callable[[], None]], Settings], record: dict[str, Any]
) -> None:
    with serving(settings) as client:
        expected, _ = timed_answers(client, record)
    failing = misbehaving(fail)
    with serving(failing) as client:
        answers, _ = timed_answers(client, record)
        eventually(lambda: sample(client, "shadow_errors_total", version=CHALLENGER) == REQUESTS)
        assert sample(client, "shadow_predictions_total", version=CHALLENGER) == 0
    assert answers == expected
    entries = [json.loads(line) for line in failing.inference_log.read_text().splitlines()]
    assert not [entry for entry in entries if "role" in entry]
    assert len(entries) == 2 * REQUESTS  # both apps' champion entries, in the one log


def test_a_challenger_that_hangs_delays_no_answer_and_its_overflow_is_dropped(
    settings: Settings, misbehaving: Callable[[Callable[[], None]], Settings], record: dict[str, Any]
) -> None:
    with serving(settings) as client:
        expected, alone = timed_answers(client, record)
    with serving(replace(misbehaving(sleep), shadow_queue_requests=4)) as client:
        answers, shadowed_seconds = timed_answers(client, record)
        dropped = sample(client, "shadow_dropped_total")
    assert answers == expected
    # Waiting for the challenger even once would take SLEEP; the budget: no request near it, and all of
    # them within twice the time they took without a shadow (plus a margin for a busy machine).
    assert max(shadowed_seconds) < SLEEP
    assert sum(shadowed_seconds) < 2 * sum(alone) + SLEEP / 2
    assert dropped > 0  # the queue (4 requests) filled while the challenger slept: dropped, not waited for


def test_a_challenger_that_cannot_load_leaves_the_service_ready(
    shadowed: Settings, tmp_path: Path, record: dict[str, Any]
) -> None:
    broken = replace(shadowed, shadow_model_uri=str(tmp_path / "no-model"), load_retry_seconds=0.05)
    with TestClient(create_app(broken)) as client:
        assert client.get("/ready").status_code == 200
        assert client.post("/predict", json=record).status_code == 200
        # and it keeps trying
        eventually(lambda: sample(client, "shadow_load_failures_total") >= 2, LOAD_WITHIN)
        assert client.get("/model").json()["shadow"] is None


def test_a_challenger_that_is_the_champion_is_not_shadowed(
    settings: Settings, record: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    itself = replace(settings, shadow_model_uri=settings.model_uri, shadow_model_version="8")
    with caplog.at_level("INFO"), TestClient(create_app(itself)) as client:
        eventually(lambda: "it is the champion" in caplog.text, LOAD_WITHIN)  # its process loaded it
        assert client.post("/predict", json=record).status_code == 200
        assert client.get("/model").json()["shadow"] is None
    entries = [json.loads(line) for line in itself.inference_log.read_text().splitlines()]
    assert [entry.get("role") for entry in entries] == [None]  # the champion's entry only


def test_a_challenger_whose_process_dies_is_no_longer_shadowed(
    shadowed: Settings, record: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("ERROR"), serving(shadowed) as client:
        [process] = [child for child in multiprocessing.active_children() if child.name == "shadow"]
        process.kill()
        eventually(lambda: client.get("/model").json()["shadow"] is None)
        assert client.post("/predict", json=record).status_code == 200
    assert "the challenger's process ended" in caplog.text


def test_messages_and_reports_keep_their_frames_however_the_pipe_splits_them() -> None:
    requests = [Followed("a1", "7", "2026-01-01T00:00:00+00:00", [{"x": 1}], [{"prediction": 0}])]
    taking, sending = multiprocessing.Pipe(duplex=False)
    with taking, sending:
        os.write(sending.fileno(), framed(requests))
        assert taking.recv() == requests  # what the challenger's process does with each message
    received: list[Any] = []
    reports = Reports(received.append, lambda: None)
    sent = [Taken(1), Failed("8", 2), Taken(3)]
    data = b"".join(framed(report) for report in sent)
    for byte in range(len(data)):  # a pipe may hand over any part of a message at a time
        reports.data_received(data[byte : byte + 1])
    assert received == sent
