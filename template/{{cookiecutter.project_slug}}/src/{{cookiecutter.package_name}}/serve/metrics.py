"""Prometheus metrics of the service, and the ASGI middleware that records requests.

Each app gets its own registry (tests create several apps). With several gunicorn workers, set
PROMETHEUS_MULTIPROC_DIR and /metrics aggregates every worker's values. What is predicted is counted by the
task: `predictions_total` by predicted class for classifiers, `prediction_probability` (the positive class's)
for a binary one, `prediction_value` for regression, in buckets from the training target's deciles
(recorded with the model), so the histogram fits whatever the target's scale. With a shadow model
(shadow.py), `ShadowMetrics` counts what the challenger predicted and how often it agrees with the champion.

With METRICS_PORT set, the metrics are served on that port instead (and /metrics of the service answers
404), so the port API clients reach can stay closed to them: by the app itself in one process (`make serve`),
by gunicorn's master for all its workers (gunicorn_conf.py), which has to start it as METRICS_HOST:PORT
before it forks them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

from ..features import TASK

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KNOWN_PATHS = {"/predict", "/health", "/ready", "/metrics", "/model"}
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
PROBABILITY_BUCKETS = tuple(step / 10 for step in range(1, 11))
# Buckets of the challenger's absolute differences, as shares of the spread of the target's deciles.
DIFFERENCE_SHARES = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests", "Requests by path and status", ["path", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency by path",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # What is predicted, by task (see the module's docstring); `value` waits for the model's buckets.
        self.predicted_classes: Counter | None = None
        self.probability: Histogram | None = None
        self.value: Histogram | None = None
        if TASK != "regression":
            self.predicted_classes = Counter(
                "predictions", "Predictions by predicted class", ["label"], registry=self.registry
            )
        if TASK == "binary":
            self.probability = Histogram(
                "prediction_probability",
                "Distribution of the positive class's predicted probability",
                buckets=PROBABILITY_BUCKETS,
                registry=self.registry,
            )
        self.batch_rows = Histogram(
            "prediction_batch_rows",
            "Rows the model predicted per call, from the requests queued together",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
            registry=self.registry,
        )
        self.model = Gauge(
            "model_info",
            "The model being served (value 1)",
            ["name", "version"],
            registry=self.registry,
            multiprocess_mode="max",
        )

    def serve_model(self, name: str, version: str, metadata: dict[str, Any]) -> None:
        """Record what is served; a regression model brings its histogram's buckets."""
        self.model.labels(name, version).set(1)
        if TASK == "regression" and self.value is None:
            self.value = Histogram(
                "prediction_value",
                "Distribution of the predicted values",
                buckets=tuple(metadata.get("prediction_buckets") or ()) or Histogram.DEFAULT_BUCKETS,
                registry=self.registry,
            )

    def observe(self, outputs: list[dict[str, Any]]) -> None:
        """Count each answer of a request (task.outputs) by what was predicted."""
        for output in outputs:
            if self.value is not None:
                self.value.observe(output["prediction"])
            if self.predicted_classes is not None:
                self.predicted_classes.labels(str(output["prediction"])).inc()
            if self.probability is not None:
                self.probability.observe(output["probability"])

    def exposition(self) -> bytes:
        return generate_latest(self.collected())

    def collected(self) -> CollectorRegistry:
        """This process's registry, or every worker's values with PROMETHEUS_MULTIPROC_DIR set."""
        return workers_registry() if "PROMETHEUS_MULTIPROC_DIR" in os.environ else self.registry


def workers_registry() -> CollectorRegistry:
    """A registry reading every process's values from PROMETHEUS_MULTIPROC_DIR."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_address() -> tuple[str, int] | None:
    """METRICS_HOST (default 0.0.0.0: every interface, as the service's) and METRICS_PORT; None if unset."""
    port = os.environ.get("METRICS_PORT", "").strip()
    return (os.environ.get("METRICS_HOST", "0.0.0.0"), int(port)) if port else None


def serve_metrics(address: tuple[str, int], registry: CollectorRegistry) -> Callable[[], None]:
    """Serve `registry` on `address` from a thread (prometheus_client's server); returns what stops it."""
    server, thread = start_http_server(address[1], addr=address[0], registry=registry)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


class ShadowMetrics:
    """The challenger's metrics, by its version: rows predicted, failed, and how they compare to the
    champion's answers (classes: rows agreeing; regression: the absolute difference). Rows dropped because
    its queue was full, and failed loads, have no version."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.model = Gauge(
            "shadow_model_info",
            "The challenger predicting in the shadow of the model served (value 1)",
            ["name", "version"],
            registry=registry,
            multiprocess_mode="max",
        )
        self.predictions = Counter(
            "shadow_predictions", "Rows the challenger predicted", ["version"], registry=registry
        )
        self.errors = Counter(
            "shadow_errors", "Rows the challenger failed to predict", ["version"], registry=registry
        )
        self.dropped = Counter(
            "shadow_dropped", "Rows not shadowed: the challenger's queue was full", registry=registry
        )
        self.load_failures = Counter(
            "shadow_load_failures", "Attempts to load the challenger that failed", registry=registry
        )
        self.agreements: Counter | None = None
        self.difference: Histogram | None = None
        if TASK != "regression":
            self.agreements = Counter(
                "shadow_agreements",
                "Rows for which the challenger predicted the champion's class",
                ["version"],
                registry=registry,
            )

    def serve_model(self, name: str, version: str, metadata: dict[str, Any]) -> None:
        """Record the challenger; a regression model brings the scale of its differences (its deciles')."""
        self.model.labels(name, version).set(1)
        if TASK == "regression" and self.difference is None:
            deciles = metadata.get("prediction_buckets") or ()
            spread = max(deciles) - min(deciles) if len(deciles) > 1 else 0
            self.difference = Histogram(
                "shadow_absolute_difference",
                "Absolute difference between the challenger's and the champion's predicted values",
                ["version"],
                buckets=tuple(spread * share for share in DIFFERENCE_SHARES)
                if spread > 0
                else Histogram.DEFAULT_BUCKETS,
                registry=self.registry,
            )

    def compare(self, version: str, champion: list[Any], challenger: list[Any]) -> None:
        """Count the challenger's predictions of some rows against the champion's (task.outputs' values)."""
        self.predictions.labels(version).inc(len(challenger))
        if self.agreements is not None:
            agreeing = sum(ours == theirs for ours, theirs in zip(champion, challenger, strict=True))
            self.agreements.labels(version).inc(agreeing)
        if self.difference is not None:
            histogram = self.difference.labels(version)
            for ours, theirs in zip(champion, challenger, strict=True):
                histogram.observe(abs(float(theirs) - float(ours)))


class RecordRequests:
    """Count and time every HTTP request; unknown paths share one label, so bots cannot explode it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in KNOWN_PATHS else "other"
        status = 500
        start = time.perf_counter()
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.metrics.latency.labels(path).observe(time.perf_counter() - start)
                self.metrics.requests.labels(path, str(status)).inc()

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                record()  # before the client has the whole answer: a scrape it sends next counts it
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            record()  # a request that failed before answering


class BodyTooLarge(Exception):
    pass


class LimitBodySize:
    """Answer 413 to a body over `max_bytes`, declared or streamed, before anything parses it."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLarge
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLarge:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = b'{"detail":"request body is larger than %d bytes"}' % self.max_bytes
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
