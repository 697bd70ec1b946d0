"""Measure p99 latency of one-record predictions against a running server, and hold it to the contract.

CI starts the server, then runs this module (`make latency`): after a warm-up, it sends one-record requests
over a kept-alive connection and exits 1 when the p99 is over
`slas.inference_latency_p99_ms` of model_contract.yaml. The records are rows of the held-out split (the
frame dvc.yaml's evaluate stage scores), so they are what the model really sees. It uses the standard
library's HTTP client, which adds little latency of its own.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from ..contract import load_contract
from ..errors import ProjectError, reports_errors
from ..features import FEATURES
from ..paths import CONTRACT_FILE, model_frames
from ..schemas import SCHEMAS


def sample_payloads(count: int, frame: Path | None = None) -> list[bytes]:
    """One-record bodies from the held-out split, typed as the API expects (missing values as null)."""
    path = frame or model_frames().test
    if not path.is_file():
        raise ProjectError(f"{path}: file not found (`uv run dvc repro` writes the held-out split)")
    rows = SCHEMAS["processed"].validate(pd.read_csv(path, nrows=count))[list(FEATURES)]
    return [json.dumps(record).encode() for record in json.loads(rows.to_json(orient="records"))]


def measure(url: str, requests: int, warmup: int, frame: Path | None = None) -> list[float]:
    """Latencies in milliseconds of `requests` sequential predictions, after `warmup` untimed ones."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port or 80, timeout=10)
    payloads = sample_payloads(min(requests + warmup, 500), frame)
    headers = {"content-type": "application/json"}
    timings = []
    for index in range(warmup + requests):
        start = time.perf_counter()
        try:
            connection.request("POST", "/predict", body=payloads[index % len(payloads)], headers=headers)
            response = connection.getresponse()
        except OSError as error:
            raise ProjectError(f"the service at {url} cannot be reached ({error}): is it running?") from None
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise ProjectError(f"POST {url}/predict answered {response.status}: {body[:200]!r}")
        if index >= warmup:
            timings.append(elapsed)
    connection.close()
    return timings


def p99(timings: Sequence[float]) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[98]


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--contract", type=Path, default=CONTRACT_FILE)
    parser.add_argument("--records", type=Path, help="a CSV of records to send (default: the held-out split)")
    args = parser.parse_args(argv)
    limit = load_contract(args.contract).slas.inference_latency_p99_ms
    timings = measure(args.url, args.requests, args.warmup, args.records)
    observed = p99(timings)
    verdict = "within" if observed <= limit else "OVER"
    print(
        f"{len(timings)} one-record predictions: p50 {statistics.median(timings):.2f} ms, "
        f"p99 {observed:.2f} ms, {verdict} the contract's {limit} ms"
    )
    return 0 if observed <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
