"""The Grafana dashboard of the service: `make rules` writes monitoring/grafana/dashboard.json with the rules.

Provisioning format (a dashboard's JSON, loaded by a file provider): request rate, p50 and p99 latency with
the contract's SLA as a threshold line, error ratio with the contract's limit, what is predicted by model
version, and the version served. Every query reads recording rules of rules.yml or `model_info`, and the
project's Prometheus test evaluates each one against the running service.
"""

from __future__ import annotations

import json
from typing import Any

from ..features import TASK
from . import rules

DATASOURCE = dict(type="prometheus", uid="${datasource}")  # the dashboard variable below


def panel(
    number: int,
    title: str,
    queries: list[str],
    unit: str,
    threshold: float | None = None,
    kind: str = "timeseries",
) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if threshold is not None:
        steps.append({"color": "red", "value": threshold})
    style = {"mode": "line" if threshold is not None else "off"}
    return {
        "id": number,
        "type": kind,
        "title": title,
        "datasource": DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": 12 * ((number - 1) % 2), "y": 8 * ((number - 1) // 2)},
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "thresholds": {"mode": "absolute", "steps": steps},
                "custom": {"thresholdsStyle": style},
            },
            "overrides": [],
        },
        "targets": [
            {
                "refId": chr(ord("A") + index),
                "datasource": DATASOURCE,
                "expr": query,
                "legendFormat": "__auto",
            }
            for index, query in enumerate(queries)
        ],
    }


def predictions_query(job: str) -> tuple[str, str]:
    """What is predicted, by model version: the task's recording rule, and its unit."""
    selector = rules.braces(job)
    if TASK == "binary":
        return f"{rules.PROBABILITY_MEAN}{selector}", "percentunit"
    if TASK == "multiclass":
        return f"{rules.PREDICTIONS_BY_VERSION}{selector}", "reqps"
    return f"{rules.VALUE_P50}{selector}", "short"


def dashboard(limits: rules.Thresholds) -> dict[str, Any]:
    job = f'job="{limits.job}"'
    selector = rules.braces(job)
    predicted, predicted_unit = predictions_query(job)
    title = {"binary": "Mean predicted probability", "multiclass": "Predictions by class"}.get(
        TASK, "Median predicted value"
    )
    return {
        "uid": limits.job.replace(".", "-")[:40],
        "title": f"{limits.job} prediction service",
        "tags": ["scaffold", "model-serving"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}
            ]
        },
        "panels": [
            panel(1, "Requests per second (/predict)", [f"{rules.REQUEST_RATE}{selector}"], "reqps"),
            panel(
                2,
                "Latency p50 and p99 (red: the contract's SLA)",
                [f"{rules.LATENCY_P50}{selector}", f"{rules.LATENCY_P99}{selector}"],
                "s",
                limits.latency_p99_seconds,
            ),
            panel(
                3,
                "Error ratio, 5xx (red: the contract's limit)",
                [f"{rules.ERROR_RATIO}{selector}"],
                "percentunit",
                limits.max_error_ratio,
            ),
            panel(4, f"{title}, by model version", [predicted], predicted_unit),
            panel(
                5, "Model version served", [f"max by (version) (model_info{selector})"], "none", kind="stat"
            ),
        ],
    }


def render(limits: rules.Thresholds) -> str:
    return json.dumps(dashboard(limits), indent=2) + "\n"


def queries(document: dict[str, Any]) -> list[str]:
    """Every query of a dashboard document."""
    return [target["expr"] for item in document["panels"] for target in item["targets"]]
