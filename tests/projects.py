"""What a user does with a rendered project, as functions the end-to-end tests share: run its commands,
serve it, post to it, check it conforms."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import feature_spec, git, without_latency_limit

# The project's tests of how gunicorn runs the service (worker turnover: reload, recycled workers, stop under
# load; the master serving the workers' metrics: a minute or more of servers starting) exercise
# gunicorn_conf.py, slots.py and worker.py, which no option, task or table changes: the demo's render runs
# them (the README's first command runs the whole suite), the other renders leave them out.
TURNOVER_RUN_BY_THE_DEMO = (
    "--ignore=tests/serve/test_reload.py",
    "--deselect=tests/serve/test_metrics_port.py::test_gunicorn_master_serves_every_workers_metrics",
)


def run(project: Path, *command: str) -> str:
    """Run a command in the project the way its README says; fail with its output if it fails."""
    result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(project: Path) -> Iterator[str]:
    """`make serve` on a free port, until /ready answers; stopped however the block ends."""
    port = free_port()
    process = subprocess.Popen(["make", "serve", f"PORT={port}"], cwd=project, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/ready", timeout=2):
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (
                    "make serve did not become ready"
                )
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def post(url: str, body: object) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{url}/predict", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


# Run by the project's interpreter: a held-out record as JSON, and the same record with a value breaking the
# first feature's first check (from the schema, as the project's tests do).
RECORDS = """
import json, sys
import pandas as pd
from {package}.features import FEATURES
from {package}.paths import model_frames
from {package}.synthetic import breaking_values
row = json.loads(pd.read_csv(model_frames().test)[list(FEATURES)].head(1).to_json(orient="records"))[0]
bad = {{**row, FEATURES[0]: breaking_values(FEATURES[0])[0].value}}
print(json.dumps({{"good": row, "bad": bad}}))
"""


def assert_promoted_and_served(project: Path, *, fairness: bool) -> None:
    """`make promote` makes the first model @champion; `make serve` answers a held-out record with the task's
    prediction, and a bad record with 422."""
    without_latency_limit(project)
    promoted = run(project, "make", "promote")
    assert "version 1 passed the gate and is @champion" in promoted
    gate = json.loads((project / "reports/gate.json").read_text())
    [rule] = [rule for rule in gate["rules"] if rule["name"].startswith(("fairness", "disparate impact"))]
    assert (rule["limit"] == "not configured") is not fairness
    package = next(project.glob("src/*/features.py")).parent.name
    records = json.loads(run(project, "uv", "run", "python", "-c", RECORDS.format(package=package)))
    spec = feature_spec(project)
    with serving(project) as url:
        status, answer = post(url, records["good"])
        assert status == 200, answer
        [prediction] = answer["predictions"]
        if spec["TASK"] == "regression":
            assert set(prediction) == {"prediction"} and isinstance(prediction["prediction"], float)
        else:
            assert prediction["prediction"] in spec["CLASSES"]
            assert set(prediction) == {
                "prediction",
                "probability" if spec["TASK"] == "binary" else "probabilities",
            }
        status, answer = post(url, records["bad"])
        assert status == 422 and answer["detail"][0]["loc"] == ["body", spec["FEATURES"][0]], answer


def assert_monitors_work(project: Path) -> None:
    """`make drift` on the held-out split finds no drift; `make drift-demo` catches its drifted sample."""
    run(project, "make", "drift", "CURRENT=data/processed/test.csv")
    assert json.loads((project / "reports/monitoring/drift.json").read_text())["drift_detected"] is False
    assert "drift-demo: drift caught" in run(project, "make", "drift-demo")


def assert_conforms(project: Path) -> None:
    from scaffold.check.engine import run_checks

    git(project, "add", "--all")
    report = run_checks(project)
    assert report.findings == []
