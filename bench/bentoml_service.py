"""A BentoML 1.4 service for bench_peers.py: the registered model behind adaptive batching, for comparison.

It runs in an environment of its own that bench_peers.py makes (bentoml, with the project's mlflow,
scikit-learn, skops and pandas), never in scaffold's or the project's:
`BENCH_MODEL_DIR=<an MLflow model directory> bentoml serve bentoml_service:PeerService --working-dir bench`.
It takes the body the generated service's /predict takes for a batch, an array of records, and answers each
record as that service does: the class from `predict_proba` and the threshold the model carries, and the
positive class's probability. BentoML's dispatcher gathers the records of concurrent requests into one call
(at most BENCH_MAX_BATCH_SIZE rows; a request that waited BENCH_MAX_LATENCY_MS is refused with 503).
"""

from __future__ import annotations

import os
from typing import Any

import bentoml
import numpy as np

WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
MAX_BATCH_SIZE = int(os.environ.get("BENCH_MAX_BATCH_SIZE", "128"))  # the generated service's default rows
MAX_LATENCY_MS = int(os.environ.get("BENCH_MAX_LATENCY_MS", "1000"))


# No access log, as the generated service has none (gunicorn's default); both keep their Prometheus metrics.
@bentoml.service(workers=WORKERS, traffic={"timeout": 30}, logging={"access": {"enabled": False}})
class PeerService:
    def __init__(self) -> None:
        import mlflow.sklearn

        self.model = mlflow.sklearn.load_model(os.environ["BENCH_MODEL_DIR"])
        self.classes = np.asarray(self.model.classes_)
        self.threshold = float(getattr(self.model, "threshold", 0.5))

    @bentoml.api(batchable=True, max_batch_size=MAX_BATCH_SIZE, max_latency_ms=MAX_LATENCY_MS)
    def predict(self, records: list[dict[str, Any]], /) -> list[dict[str, Any]]:
        """The body is the array itself (a positional-only parameter is BentoML's root input)."""
        import pandas as pd

        # As the generated service builds its frame: one block of Python objects, nulls as missing values.
        columns = list(records[0])
        values = np.array([[record[name] for name in columns] for record in records], dtype=object)
        values[np.equal(values, None)] = np.nan
        frame = pd.DataFrame(values, columns=columns, dtype=object, copy=False)
        positive = self.model.predict_proba(frame)[:, -1]
        predicted = np.where(positive >= self.threshold, self.classes[-1], self.classes[0])
        return [
            {"prediction": label, "probability": probability}
            for label, probability in zip(predicted.tolist(), positive.tolist(), strict=True)
        ]
