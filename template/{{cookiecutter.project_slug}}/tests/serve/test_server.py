"""The real server: uvicorn on 127.0.0.1, a prediction over HTTP, the latency check, then a clean stop."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.serve import latency
from {{ cookiecutter.package_name }}.stages import prepare

APP = "{{ cookiecutter.package_name }}.serve.main:app"


def post(url: str, body: object, timeout: float = 10) -> dict:
    request = urllib.request.Request(
        f"{url}/predict", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        return json.load(answer)


def test_the_server_answers_predictions_over_http(server: str, record: dict) -> None:
    assert len(post(server, record)["predictions"]) == 1


@pytest.fixture(scope="module")
def mlflow_server(model_dir: Path, launch: Callable[..., AbstractContextManager[str]]) -> Iterator[str]:
    """`mlflow models serve` of the same model, in this environment (it needs its bin directory on PATH).
    It imports MLflow twice (its CLI, then its uvicorn): give it longer to start than ours."""
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model_dir)]
    command += ["--env-manager", "local", "--host", "127.0.0.1", "--port", "{port}"]
    with launch(command, environment, probe="/ping", within=180) as url:
        yield url


def test_mlflows_client_gets_what_mlflow_models_serve_answers(
    server: str, mlflow_server: str, split: prepare.Split
) -> None:
    """A drop-in: 50 held-out rows, as a frame through MLflow's own client and as CSV, answered alike."""
    from mlflow.pyfunc.scoring_server.client import ScoringServerClient

    rows = split.test[list(FEATURES)].head(50)
    ours, theirs = (ScoringServerClient("127.0.0.1", urlsplit(url).port) for url in (server, mlflow_server))
    ours.ping()
    answer = ours.invoke(rows)
    assert len(answer["predictions"]) == len(rows)
    assert answer == theirs.invoke(rows)
    assert ours.get_version() == theirs.get_version()
    as_csv = rows.to_csv(index=False).encode()
    csv_answers = [
        json.load(
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{url}/invocations", data=as_csv, headers={"content-type": "text/csv"}
                )
            )
        )
        for url in (server, mlflow_server)
    ]
    assert csv_answers[0] == csv_answers[1] == dict(answer)


@pytest.fixture
def held_out(tmp_path: Path, split: prepare.Split) -> Path:
    """Rows the latency check sends (by default it reads the pipeline's held-out split)."""
    path = tmp_path / "test.csv"
    split.test.to_csv(path, index=False)
    return path


def contract_with_latency(project_root: Path, tmp_path: Path, milliseconds: float) -> Path:
    contract = yaml.safe_load((project_root / "model_contract.yaml").read_text())
    contract["slas"]["inference_latency_p99_ms"] = milliseconds
    path = tmp_path / "model_contract.yaml"
    path.write_text(yaml.safe_dump(contract))
    return path


# Timing belongs in benchmarks, not tests: these limits are far from any real latency, so they test the
# check's verdict, not this machine's speed.
def test_latency_check_passes_within_the_contract(
    server: str, project_root: Path, tmp_path: Path, held_out: Path
) -> None:
    generous = contract_with_latency(project_root, tmp_path, 60_000)
    arguments = ["--url", server, "--requests", "100", "--warmup", "10", "--records", str(held_out)]
    assert latency.main([*arguments, "--contract", str(generous)]) == 0


def test_latency_check_fails_over_the_contract(
    server: str, project_root: Path, tmp_path: Path, held_out: Path
) -> None:
    strict = contract_with_latency(project_root, tmp_path, 0.001)
    arguments = ["--url", server, "--requests", "50", "--warmup", "5", "--records", str(held_out)]
    assert latency.main([*arguments, "--contract", str(strict)]) == 1


def test_gunicorn_as_in_the_image(
    gunicorn: Callable[..., tuple[list[str], dict[str, str]]], record: dict, port: int
) -> None:
    """From the first request on, predictions succeed (no worker accepts before its model is loaded); the
    workers' metrics are aggregated, and none are carried over from a previous container."""
    command, environment = gunicorn()
    command, url = [part.replace("{port}", str(port)) for part in command], f"http://127.0.0.1:{port}"
    metrics_dir = Path(environment["PROMETHEUS_MULTIPROC_DIR"])
    (metrics_dir / "counter_stale.db").write_bytes(b"left by a previous container")
    process = subprocess.Popen(command, env=environment)
    try:
        deadline, statuses, unanswered = time.monotonic() + 90, [], 0
        while len(statuses) < 20 and time.monotonic() < deadline:
            try:
                post(url, [record], timeout=60)
                statuses.append(200)
            except urllib.error.HTTPError as error:  # a worker answering before its model is loaded: 503
                statuses.append(error.code)
            except OSError as error:  # refused: no worker has bound its socket yet
                assert process.poll() is None, "gunicorn exited"
                refused = isinstance(getattr(error, "reason", error), ConnectionRefusedError)
                unanswered += not refused  # timed out on a loaded machine: the server may have counted it
                time.sleep(0.1)
        assert statuses == [200] * 20
        assert not (metrics_dir / "counter_stale.db").exists()
        metrics = urllib.request.urlopen(f"{url}/metrics", timeout=5).read().decode()
        counted = re.search(r'^http_requests_total\{path="/predict",status="200"\} (\S+)$', metrics, re.M)
        assert counted and 20 <= float(counted.group(1)) <= 20 + unanswered  # every worker's requests
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_latency_check_names_a_service_that_is_not_running(
    held_out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert latency.main(["--url", "http://127.0.0.1:9", "--requests", "5", "--records", str(held_out)]) == 2
    error = capsys.readouterr().err
    assert (
        error.startswith("error: the service at http://127.0.0.1:9 cannot be reached")
        and error.count("\n") == 1
    )
