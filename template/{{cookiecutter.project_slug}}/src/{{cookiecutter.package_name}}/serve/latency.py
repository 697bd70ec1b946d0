"""Measure p99 latency of one-record predictions against a running server, and hold it to the contract.

CI starts the server, then runs this module (`make latency`): after a warm-up, it sends one-record requests
over a kept-alive connection and exits 1 when the p99 is over
`slas.inference_latency_p99_ms` of model_contract.yaml. It uses the standard library's HTTP client, which
adds little latency of its own.
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

from ..contract import load_contract
from ..features import FEATURES
from ..sample_data import generate


def sample_payloads(count: int) -> list[bytes]:
    """Realistic one-record bodies from the sample generator, numbers typed as the API expects."""
    payloads = []
    for row in generate(rows=count, seed=11):
        record = {name: row[name] for name in FEATURES}
        record["monthly_charges"] = float(record["monthly_charges"])
        record["total_charges"] = float(record["total_charges"])
        payloads.append(json.dumps(record).encode())
    return payloads


def measure(url: str, requests: int, warmup: int) -> list[float]:
    """Latencies in milliseconds of `requests` sequential predictions, after `warmup` untimed ones."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port or 80, timeout=10)
    payloads = sample_payloads(min(requests + warmup, 500))
    headers = {"content-type": "application/json"}
    timings = []
    for index in range(warmup + requests):
        start = time.perf_counter()
        connection.request("POST", "/predict", body=payloads[index % len(payloads)], headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise RuntimeError(f"POST /predict answered {response.status}")
        if index >= warmup:
            timings.append(elapsed)
    connection.close()
    return timings


def p99(timings: Sequence[float]) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[98]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--contract", type=Path, default=Path("model_contract.yaml"))
    args = parser.parse_args(argv)
    limit = load_contract(args.contract).slas.inference_latency_p99_ms
    timings = measure(args.url, args.requests, args.warmup)
    observed = p99(timings)
    verdict = "within" if observed <= limit else "OVER"
    print(
        f"{len(timings)} one-record predictions: p50 {statistics.median(timings):.2f} ms, "
        f"p99 {observed:.2f} ms, {verdict} the contract's {limit} ms"
    )
    return 0 if observed <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
