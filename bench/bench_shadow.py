"""What a challenger in the shadow costs the champion: the generated service with and without a shadow.

Run by hand, not by pytest, against a project whose model is registered (`make promote`) and trained
(`models/model`): `uv run python bench/bench_shadow.py /path/to/customer-churn`. The service runs as the image
runs it (gunicorn, 2 workers) on 127.0.0.1, without a shadow and then shadowed by `models/model` labelled
`copy` (the champion's own model under another version: the challenger costs what the champion does), in
rounds that alternate which goes first; wrk at 1, 8 and 16 connections. It prints, per number of
connections, the medians of the rounds and each round's p99 with the machine's load when it began, and
what the shadow predicted and dropped (from /metrics: it must have predicted, or the figures say nothing).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from _common import service_arguments, wait_for_quiet
from bench_serve import Load, Server, project_env, request, run_wrk, servers, serving

SHADOW_COUNTERS = ("shadow_predictions_total", "shadow_dropped_total", "shadow_errors_total")


def shadowed(service: Server, project: Path) -> Server:
    challenger = {"SHADOW_MODEL_URI": str(project / "models" / "model"), "SHADOW_MODEL_VERSION": "copy"}
    env = service.env | challenger
    return replace(service, label="shadowed", env=env)


def counters(port: int) -> dict[str, float]:
    """The shadow's counters on /metrics, summed over their labels."""
    _, body = request(port, "GET", "/metrics")
    found = dict.fromkeys(SHADOW_COUNTERS, 0.0)
    for line in body.decode().splitlines():
        name = re.split(r"[{ ]", line, maxsplit=1)[0]
        if name in found:
            found[name] += float(line.rsplit(" ", 1)[1])
    return found


def wait_for_shadow(service: Server, port: int, log: Path, workers: int, timeout: float) -> None:
    """Until every worker's challenger has loaded (its process imports MLflow first, at the lowest priority:
    seconds) and the shadow predicts."""
    deadline = time.monotonic() + timeout
    while (
        len(re.findall(r"\[shadow \d+\] INFO loaded", log.read_text(errors="replace"))) < workers
        or counters(port)["shadow_predictions_total"] == 0
    ):
        if time.monotonic() > deadline:
            raise SystemExit(f"the shadow predicted nothing in {timeout:.0f} s")
        for _ in range(20):
            request(port, "POST", service.predict_path, service.bodies[0])
        time.sleep(1)


def measure(
    service: Server, project: Path, workdir: Path, args: argparse.Namespace
) -> tuple[dict[int, Load], dict[int, float], dict[str, float]]:
    """One service: wrk at each number of connections, the load average before each, its counters."""
    loads, averages = {}, {}
    with serving(service, project, workdir, args.start_timeout) as port:
        if service.label == "shadowed":
            wait_for_shadow(service, port, workdir / "shadowed.log", args.workers, args.start_timeout)
        run_wrk(port, service, 4, args.warmup, workdir, args.wrk)
        for connections in args.connections:
            averages[connections] = os.getloadavg()[0]
            loads[connections] = run_wrk(port, service, connections, args.seconds, workdir, args.wrk)
        return loads, averages, counters(port)


def report(results: dict[str, list[tuple[dict[int, Load], dict[int, float], dict[str, float]]]]) -> str:
    lines = [
        "| connections | shadow | req/s | p50 ms | p99 ms (median) | p99 ms of each round (load) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    connections = sorted(next(iter(results.values()))[0][0])
    for count in connections:
        for label, runs in results.items():
            loads = [run[0][count] for run in runs]
            rounds = ", ".join(f"{run[0][count].p99_ms:.1f} ({run[1][count]:.1f})" for run in runs)
            lines.append(
                f"| {count} | {label} | {statistics.median(load.rate for load in loads):.0f} "
                f"| {statistics.median(load.p50_ms for load in loads):.1f} "
                f"| {statistics.median(load.p99_ms for load in loads):.1f} | {rounds} |"
            )
    for _, _, counted in results["shadowed"]:
        lines.append("\nshadow: " + ", ".join(f"{name} {value:.0f}" for name, value in counted.items()))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    service_arguments(parser)
    parser.add_argument("--model-uri", default="models:/customer_churn@champion")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both services (default 3)")
    parser.add_argument("--seconds", type=int, default=20, help="seconds per wrk run (default 20)")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--warmup", type=int, default=5, help="seconds of untimed load first (default 5)")
    parser.add_argument("--wrk", default="wrk")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    project = args.project.resolve()
    results: dict[str, list[tuple[dict[int, Load], dict[int, float], dict[str, float]]]] = {
        "none": [],
        "shadowed": [],
    }
    with tempfile.TemporaryDirectory(prefix="bench-shadow-") as folder:
        workdir = Path(folder)
        args.load, args.soak = 0, 0  # what servers() reads and this benchmark does not run
        _, service = servers(args, project, project_env(project), workdir)
        wait_for_quiet(args.wait_quiet)
        for round_ in range(args.rounds):
            order = [service, shadowed(service, project)]
            for server in order if round_ % 2 == 0 else order[::-1]:
                label = "shadowed" if server.label == "shadowed" else "none"
                results[label].append(measure(server, project, workdir, args))
    print(report(results))


if __name__ == "__main__":
    main()
