"""Serve a generated project's @champion model with `mlflow models serve` and with its own service, under wrk.

Run by hand, not by pytest, against a project whose model is registered (`make promote`):
`uv run python bench/bench_serve.py /path/to/customer-churn`. In one run: the ceiling of 2 processes
predicting in process, then one server after the other on 127.0.0.1, each at 1 connection (in rounds, with the
in-process `predict_proba` of one row timed before each round and after the last) and at 16, the generated
service also for 60 s at 32 connections. It prints a markdown table with the targets; `--write-docs` also
writes it as the `## Serving` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from _common import idle_share, service_arguments, wait_for_quiet, write_section

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
TARGET_COLUMN = "churned"
VERSIONS = (
    "mlflow",
    "fastapi",
    "uvicorn",
    "gunicorn",
    "uvicorn-worker",
    "scikit-learn",
    "pandas",
    "pydantic",
)

MLFLOW_SERVE = "mlflow models serve -m {uri} --env-manager local -p {port} -h 127.0.0.1"
# As the image runs it (Dockerfile.serve: its gunicorn settings module), with 2 workers, bound to 127.0.0.1.
GUNICORN = (
    "gunicorn {app} --config {config} -w {workers} -b 127.0.0.1:{port} "
    "--worker-tmp-dir /dev/shm --no-control-socket"
)
UVICORN = "uvicorn {app} --workers {workers} --host 127.0.0.1 --port {port}"

# Runs in the project's interpreter; loads the model, warms it up and says "ready". `latency`: for each line
# on stdin (a number of calls), prints the p50 in ms of that many one-row predict_proba on ready-made frames.
# `throughput`: waits for a line on stdin, predicts for `seconds` and prints its predictions per second
# (several processes started together give the machine's ceiling).
IN_PROCESS = """
import json, statistics, sys, time
import mlflow.sklearn, pandas as pd
from threadpoolctl import threadpool_limits
threadpool_limits(1)  # as the service predicts (task.predict_on_one_thread): OpenMP pools oversubscribe
mode, uri, data, target, seconds = sys.argv[1:6]
model = mlflow.sklearn.load_model(uri)
frame = pd.read_csv(data).drop(columns=[target])
rows = [frame.iloc[[i]] for i in range(min(len(frame), 200))]
for row in rows[:50]:
    model.predict_proba(row)
print("ready", flush=True)
if mode == "latency":
    for line in sys.stdin:
        times = []
        for i in range(int(line)):
            start = time.perf_counter()
            model.predict_proba(rows[i % len(rows)])
            times.append(time.perf_counter() - start)
        print(json.dumps(statistics.median(times) * 1000), flush=True)
else:
    sys.stdin.readline()
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < float(seconds):
        model.predict_proba(rows[done % len(rows)])
        done += 1
    print(json.dumps(done / (time.perf_counter() - start)))
"""

# wrk's script: POSTs the bodies in turn, counts answers outside 2xx (wrk's own count starts at 400) and
# prints the figures as one JSON line (latencies in microseconds).
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {
%s
}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0; index = 0 end
function request()
  index = index %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local non2xx = 0
  for _, thread in ipairs(threads) do non2xx = non2xx + thread:get("non2xx") end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%.1f, "p99_us": %%.1f, ' ..
    '"non2xx": %%d, "socket": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), non2xx,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Load:
    """What one wrk run saw."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int
    spread: tuple[int, ...] = ()  # wrk's connections held by each server process, halfway through

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.non2xx + self.socket_errors


@dataclass(frozen=True)
class Sequential:
    """Rounds at 1 connection, each between two in-process timings of the same one-row predict.

    The machine's speed drifts, within a minute, by more than the overhead being measured: each round's
    overhead is its p50 minus the mean of the in-process p50s just before and just after it.
    """

    in_process_ms: tuple[float, ...]  # before each round, and after the last
    rounds: tuple[Load, ...]

    @property
    def overhead_ms(self) -> float:
        timings = self.in_process_ms
        return statistics.median(
            load.p50_ms - (timings[i] + timings[i + 1]) / 2 for i, load in enumerate(self.rounds)
        )

    @property
    def p50_ms(self) -> float:
        return statistics.median(load.p50_ms for load in self.rounds)

    @property
    def p99_ms(self) -> float:
        """The highest round's: each round holds too few requests for a p99 of its own."""
        return max(load.p99_ms for load in self.rounds)


@dataclass(frozen=True)
class Server:
    """How to start one server, ask whether it is ready, and what it is sent."""

    label: str
    command: list[str]
    env: dict[str, str]
    ready_path: str
    predict_path: str
    bodies: list[bytes]


def project_env(project: Path) -> dict[str, str]:
    """The project's environment first on PATH (`mlflow models serve` needs it), its registry as tracking."""
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env["PATH"] = f"{project / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{project / 'mlflow.db'}"
    return env


def run(command: Sequence[str | Path], env: dict[str, str], cwd: Path, timeout: float) -> str:
    """Run a command, return its stdout; on failure stop the benchmark with its stderr."""
    words = [str(part) for part in command]
    result = subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(words)}\n{result.stderr[-3000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_rows(project: Path, count: int) -> tuple[list[str], list[list[int | float | str]]]:
    """Feature columns and the first rows of the test set; a column with a decimal point is float."""
    with (project / "data" / "processed" / "test.csv").open(newline="", encoding="utf-8") as file:
        table = list(csv.DictReader(file))[:count]
    columns = [name for name in table[0] if name != TARGET_COLUMN]

    def kind(name: str) -> type:
        values = [row[name] for row in table]
        try:
            [float(value) for value in values]
        except ValueError:
            return str
        return float if any(set(value) & set(".eE") for value in values) else int

    kinds = {name: kind(name) for name in columns}
    return columns, [[kinds[name](row[name]) for name in columns] for row in table]


@contextlib.contextmanager
def in_process_timer(
    python: Path, project: Path, uri: str, env: dict[str, str]
) -> Iterator[Callable[[int], float]]:
    """A process holding the model, idle until asked for the p50 of so many one-row predictions."""
    data = project / "data" / "processed" / "test.csv"
    command = [str(python), "-c", IN_PROCESS, "latency", uri, str(data), TARGET_COLUMN, "0"]
    process = subprocess.Popen(
        command, cwd=project, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    stdin, stdout = process.stdin, process.stdout

    def p50(calls: int) -> float:
        stdin.write(f"{calls}\n")
        stdin.flush()
        return float(json.loads(stdout.readline()))

    try:
        if stdout.readline().strip() != "ready":
            sys.exit("the in-process predictor failed to start")
        yield p50
    finally:
        stdin.close()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def in_process_ceiling(
    python: Path, project: Path, uri: str, env: dict[str, str], processes: int, seconds: float
) -> float:
    """Predictions per second of `processes` processes predicting at once, started together."""
    data = project / "data" / "processed" / "test.csv"
    command = [str(python), "-c", IN_PROCESS, "throughput", uri, str(data), TARGET_COLUMN, str(seconds)]
    workers: list[subprocess.Popen[str]] = []
    try:
        for _ in range(processes):
            workers.append(
                subprocess.Popen(
                    command, cwd=project, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE
                )
            )
        for worker in workers:
            assert worker.stdout is not None
            if worker.stdout.readline().strip() != "ready":
                sys.exit("an in-process predictor failed to start")
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        return sum(float(json.loads(worker.communicate(timeout=seconds + 60)[0])) for worker in workers)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, SIGKILL it if it is not gone in 20 s, and reap the leader."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            process.poll()
            os.killpg(process.pid, 0)  # raises once every process of the group is gone
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def request(port: int, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """Status and body of one request on a fresh connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"content-type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_ready(
    server: Server, port: int, process: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    """Ready once 20 fresh connections in a row get 200: with 2 workers, both have loaded the model."""
    deadline, streak = time.monotonic() + timeout, 0
    while streak < 20:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
            sys.exit(f"{server.label} did not become ready in {timeout:.0f} s:\n{tail}")
        try:
            status, _ = request(port, "GET", server.ready_path)
        except OSError:
            status = 0
        streak = streak + 1 if status == 200 else 0
        if status != 200:
            time.sleep(0.5)


@contextlib.contextmanager
def serving(server: Server, project: Path, workdir: Path, timeout: float) -> Iterator[int]:
    """Start the server on a free port of 127.0.0.1 in a process group of its own; always stop the group."""
    port = free_port()
    command = [part.format(port=port) for part in server.command]
    log = workdir / f"{server.label.split()[0].lower()}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=server.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_ready(server, port, process, log, timeout)
        yield port
    finally:
        stop(process)


def run_wrk(port: int, server: Server, connections: int, seconds: int, workdir: Path, wrk: str) -> Load:
    """One wrk run; halfway through, which server process holds how many of its connections."""
    script = workdir / "post.lua"
    bodies = ",\n".join(f"[==[{body.decode()}]==]" for body in server.bodies)
    script.write_text(WRK_SCRIPT % bodies, encoding="utf-8")
    url = f"http://127.0.0.1:{port}{server.predict_path}"
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        url,
    ]
    with subprocess.Popen(
        [str(part) for part in command], cwd=workdir, env=server.env, stdout=subprocess.PIPE, text=True
    ) as process:
        try:
            time.sleep(seconds / 2)
            spread = connections_by_process(port)
            output, _ = process.communicate(timeout=seconds + 60)
        finally:
            if process.poll() is None:
                process.kill()
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if process.returncode or line is None:
        sys.exit(f"wrk failed ({process.returncode}):\n{output}")
    figures = json.loads(line.removeprefix("BENCH "))
    return Load(
        connections=connections,
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non2xx=figures["non2xx"],
        socket_errors=figures["socket"],
        spread=spread,
    )


def connections_by_process(port: int) -> tuple[int, ...]:
    """Established connections to `port` per server process, most first (empty without `ss`)."""
    if shutil.which("ss") is None:
        return ()
    filter_ = f"( sport = :{port} )"
    listing = subprocess.run(
        ["ss", "-tnpH", "state", "established", filter_],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    ).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", listing):
        counts[pid] = counts.get(pid, 0) + 1
    return tuple(sorted(counts.values(), reverse=True))


def servers(
    args: argparse.Namespace, project: Path, env: dict[str, str], workdir: Path
) -> tuple[Server, Server]:
    """MLflow's server and the generated service, each with the test-set rows as bodies of its own format."""
    columns, rows = test_rows(project, args.payloads)
    mlflow = Server(
        label="MLflow `mlflow models serve` (1 uvicorn worker)",
        command=MLFLOW_SERVE.format(uri=args.model_uri, port="{port}").split(),
        env=env,
        ready_path="/ping",
        predict_path="/invocations",
        bodies=[
            json.dumps({"dataframe_split": {"columns": columns, "data": [row]}}).encode() for row in rows
        ],
    )
    has_worker = (project / ".venv" / "bin" / "gunicorn").exists() and "uvicorn-worker" in installed(
        project, env, "uvicorn-worker"
    )
    if not has_worker:
        print("gunicorn or uvicorn-worker is not installed: uvicorn --workers instead", file=sys.stderr)
    template = GUNICORN if has_worker else UVICORN
    multiproc = workdir / "prometheus"
    multiproc.mkdir()
    ours = Server(
        label=f"generated service ({template.split()[0]}, {args.workers} uvicorn workers)",
        command=template.format(
            app=args.app, config=args.gunicorn_config, workers=args.workers, port="{port}"
        ).split(),
        env=env
        | {
            "MODEL_URI": args.model_uri,
            "MODEL_CONTRACT": str(project / "model_contract.yaml"),
            "INFERENCE_LOG": str(workdir / "inference.jsonl"),
            "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        },
        ready_path="/ready",
        predict_path="/predict",
        bodies=[json.dumps(dict(zip(columns, row, strict=True))).encode() for row in rows],
    )
    return mlflow, ours


def installed(project: Path, env: dict[str, str], *names: str) -> dict[str, str]:
    """Python's version and those of the named distributions in the project's environment (if installed)."""
    code = (
        "import json, platform, sys; from importlib.metadata import PackageNotFoundError, version\n"
        "found = {'Python': platform.python_version()}\n"
        "for name in sys.argv[1:]:\n"
        "    try: found[name] = version(name)\n"
        "    except PackageNotFoundError: pass\n"
        "print(json.dumps(found))"
    )
    python = project / ".venv" / "bin" / "python"
    found: dict[str, str] = json.loads(run([python, "-c", code, *names], env, project, timeout=60))
    return found


def classes(server: Server, port: int, count: int) -> list[int]:
    """The class predicted for each of the first bodies: MLflow's pyfunc answers it, ours as `prediction` (in
    `predictions`, or an array of answers as BentoML's service gives)."""
    answers = []
    for body in server.bodies[:count]:
        status, text = request(port, "POST", server.predict_path, body)
        if status != 200:
            sys.exit(f"{server.label} answered {status}: {text[:500]!r}")
        answer = json.loads(text)
        prediction = (answer["predictions"] if isinstance(answer, dict) else answer)[0]
        answers.append(int(prediction["prediction"] if isinstance(prediction, dict) else prediction))
    return answers


def versions(project: Path, env: dict[str, str]) -> str:
    found = installed(project, env, *VERSIONS)
    words = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False).stdout.split()
    wrk = words[1] if len(words) > 1 else "unknown"
    return ", ".join(f"{name} {value}" for name, value in found.items()) + f", wrk {wrk}"


@dataclass(frozen=True)
class Figures:
    ceiling: float | None
    mlflow_one: Sequential
    mlflow_many: Load
    ours_one: Sequential
    ours_many: Load
    ours_soak: Load
    p99_limit_ms: float
    workers: int  # of the generated service
    calls: int  # in-process predictions per p50
    round_seconds: int  # of each round at 1 connection
    logged: int  # lines of the generated service's inference log
    answered: int  # 2xx answers of the generated service, warm-up and checks included
    rows_per_call: float | None  # mean rows per model call of the generated service, from its metrics


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"


def spread(load: Load, workers: int) -> str:
    """How wrk's connections were shared between the workers, e.g. `connections per worker: 16 + 0`."""
    held = list(load.spread) + [0] * (workers - len(load.spread))
    return "connections per worker: " + " + ".join(map(str, held)) if load.spread else "spread not seen"


def verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def span(values: Sequence[float]) -> str:
    return f"{ms(min(values))} to {ms(max(values))}"


def table(f: Figures) -> list[str]:
    mlflow_overhead, ours_overhead = f.mlflow_one.overhead_ms, f.ours_one.overhead_ms
    rounds = f"{len(f.ours_one.rounds)} rounds of {f.round_seconds} s"
    share = f"; {f.ours_many.rate / f.ceiling:.0%} of the ceiling" if f.ceiling else ""
    floor = 2 * f.mlflow_many.rate
    soak = f"ours, {f.ours_soak.connections} connections for {f.ours_soak.seconds:.0f} s"
    limit = f"≤ {f.p99_limit_ms:g} ms (contract)"
    rows = []
    if f.ceiling:
        rows.append(("in-process ceiling, 2 processes predicting", f"{f.ceiling:.0f} req/s", "", ""))
    rows += [
        (
            f"in-process `predict_proba` of one row, p50 of {f.calls} calls, around MLflow's rounds",
            span(f.mlflow_one.in_process_ms),
            "",
            "",
        ),
        (f"MLflow: p50 at 1 connection (median of {rounds})", ms(f.mlflow_one.p50_ms), "", ""),
        ("MLflow: p99 at 1 connection (highest round)", ms(f.mlflow_one.p99_ms), "", ""),
        (
            "MLflow: serving overhead (median of each round's p50 minus the in-process p50s around it)",
            ms(mlflow_overhead),
            "",
            "",
        ),
        ("MLflow: throughput at 16 connections", f"{f.mlflow_many.rate:.0f} req/s", "", ""),
        ("in-process p50, around our rounds", span(f.ours_one.in_process_ms), "", ""),
        (f"ours: p50 at 1 connection (median of {rounds})", ms(f.ours_one.p50_ms), "", ""),
        (
            "ours: p99 at 1 connection (highest round)",
            ms(f.ours_one.p99_ms),
            limit,
            verdict(f.ours_one.p99_ms <= f.p99_limit_ms),
        ),
        (
            "ours: serving overhead (median of each round's p50 minus the in-process p50s around it)",
            ms(ours_overhead),
            f"≤ {ms(mlflow_overhead / 5)} (1/5 of MLflow's)",
            verdict(ours_overhead <= mlflow_overhead / 5),
        ),
        (
            "ours: throughput at 16 connections",
            f"{f.ours_many.rate:.0f} req/s ({spread(f.ours_many, f.workers)}{share})",
            f"≥ {floor:.0f} req/s (twice MLflow's)",
            verdict(f.ours_many.rate >= floor),
        ),
        (
            f"{soak}: errors (non-2xx + socket)",
            f"{f.ours_soak.errors} of {f.ours_soak.requests}",
            "0",
            verdict(f.ours_soak.errors == 0),
        ),
        (f"{soak}: p99", ms(f.ours_soak.p99_ms), limit, verdict(f.ours_soak.p99_ms <= f.p99_limit_ms)),
        (
            f"{soak}: p50; throughput",
            f"{ms(f.ours_soak.p50_ms)}; {f.ours_soak.rate:.0f} req/s ({spread(f.ours_soak, f.workers)})",
            "",
            "",
        ),
    ]
    lines = ["| what | measured | target | result |", "|---|---|---|---|"]
    return lines + [f"| {' | '.join(row)} |" for row in rows]


def targets(f: Figures) -> str:
    """The issue's three targets in one line, each with its verdict."""
    overhead, mlflow_overhead = f.ours_one.overhead_ms, f.mlflow_one.overhead_ms
    soak = f.ours_soak.errors == 0 and f.ours_soak.p99_ms <= f.p99_limit_ms
    verdicts = [
        ("overhead at most 1/5 of MLflow's", overhead <= mlflow_overhead / 5),
        ("throughput at 16 connections at least twice MLflow's", f.ours_many.rate >= 2 * f.mlflow_many.rate),
        (f"{f.ours_soak.seconds:.0f} s at 32 connections: no error, p99 within the contract", soak),
    ]
    each = "; ".join(f"{what}: {verdict(ok)}" for what, ok in verdicts)
    return f"**Targets: {sum(ok for _, ok in verdicts)} of 3 met.** {each}."


def report(f: Figures, header: str, commands: list[str]) -> str:
    lines = [header, "", *table(f), ""]
    lines.append(
        f"The generated service's inference log holds {f.logged} lines for the {f.answered} predictions "
        "that wrk and the checks counted (wrk does not count the requests in flight when it stops): it keeps "
        "up, off the request path."
    )
    if f.rows_per_call is not None:
        lines += [
            "",
            f"The generated service's model predicted {f.rows_per_call:.1f} rows per call on average over "
            "its whole run (its `prediction_batch_rows` metric): the requests queued while it was busy.",
        ]
    lines += ["", targets(f)]
    lines += ["", "Commands:", "", "```bash", *commands, "```"]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    """Replace the marked `## Serving` section of docs/benchmarks.md, or append it; the rest is kept as is."""
    write_section(DOCS, "bench_serve", "## Serving", section)


def drive(
    server: Server,
    project: Path,
    workdir: Path,
    args: argparse.Namespace,
    wrk: str,
    in_process_p50: Callable[[int], float],
    soak: bool,
) -> dict[str, Any]:
    """Start the server, check its answers, warm it up, then load it as the arguments say; always stop it.

    At 1 connection, rounds alternate with in-process timings (the server idle meanwhile), see Sequential.
    """
    print(f"{server.label}: starting", file=sys.stderr)
    with serving(server, project, workdir, args.start_timeout) as port:
        figures: dict[str, Any] = {"classes": classes(server, port, 20)}
        figures["warmup"] = run_wrk(port, server, 4, args.warmup, workdir, wrk)
        print(f"{server.label}: {args.rounds} rounds at 1 connection", file=sys.stderr)
        timings, rounds = [in_process_p50(args.calls)], []
        for _ in range(args.rounds):
            rounds.append(run_wrk(port, server, 1, args.round_seconds, workdir, wrk))
            timings.append(in_process_p50(args.calls))
            print(
                f"  p50 {ms(rounds[-1].p50_ms)}; in process: {ms(timings[-2])}, {ms(timings[-1])} after",
                file=sys.stderr,
            )
        figures["one"] = Sequential(tuple(timings), tuple(rounds))
        print(f"{server.label}: {args.load} s at 16 connections", file=sys.stderr)
        figures["many"] = run_wrk(port, server, 16, args.load, workdir, wrk)
        if soak:
            print(f"{server.label}: {args.soak} s at 32 connections", file=sys.stderr)
            figures["soak"] = run_wrk(port, server, 32, args.soak, workdir, wrk)
            figures["rows_per_call"] = rows_per_call(port)
    return figures


def rows_per_call(port: int) -> float | None:
    """Mean rows per model call over the server's life, from its `prediction_batch_rows` metric."""
    status, text = request(port, "GET", "/metrics")
    found = dict(re.findall(r"^prediction_batch_rows_(sum|count) (\S+)$", text.decode(), re.MULTILINE))
    if status != 200 or not float(found.get("count", 0)):
        return None
    return float(found["sum"]) / float(found["count"])


def prepared(project: Path) -> tuple[Path, str, dict[str, str], dict[str, Any]]:
    """The project (resolved), wrk, the project's environment and its contract; exits naming what is
    missing."""
    project = project.resolve()
    if not (project / ".venv" / "bin" / "python").exists() or not (project / "mlflow.db").exists():
        sys.exit(f"{project} needs `make setup`, `make repro` and `make promote` first")
    wrk = shutil.which("wrk") or sys.exit("wrk is not on PATH: apt-get install -y wrk")
    contract = yaml.safe_load((project / "model_contract.yaml").read_text(encoding="utf-8"))
    return project, wrk, project_env(project), contract


def collect(args: argparse.Namespace, workdir: Path) -> str:
    project, wrk, env, contract = prepared(args.project)
    python = project / ".venv" / "bin" / "python"
    idle = wait_for_quiet(args.wait_quiet)
    ceiling = None
    if args.ceiling_seconds:
        print(f"in process: 2 processes predicting for {args.ceiling_seconds} s", file=sys.stderr)
        ceiling = in_process_ceiling(python, project, args.model_uri, env, 2, args.ceiling_seconds)
    mlflow, ours = servers(args, project, env, workdir)
    with in_process_timer(python, project, args.model_uri, env) as in_process_p50:
        theirs = drive(mlflow, project, workdir, args, wrk, in_process_p50, soak=False)
        our = drive(ours, project, workdir, args, wrk, in_process_p50, soak=True)
    if theirs["classes"] != our["classes"]:
        sys.exit(f"the servers disagree: MLflow predicted {theirs['classes']}, ours {our['classes']}")
    idle_after = idle_share(5)
    log = workdir / "inference.jsonl"
    answered = (
        len(our["classes"])
        + sum(run_.requests - run_.non2xx for run_ in our.values() if isinstance(run_, Load))
        + sum(run_.requests - run_.non2xx for run_ in our["one"].rounds)
    )
    figures = Figures(
        ceiling=ceiling,
        mlflow_one=theirs["one"],
        mlflow_many=theirs["many"],
        ours_one=our["one"],
        ours_many=our["many"],
        ours_soak=our["soak"],
        p99_limit_ms=float(contract["slas"]["inference_latency_p99_ms"]),
        workers=args.workers,
        calls=args.calls,
        round_seconds=args.round_seconds,
        logged=len(log.read_bytes().splitlines()) if log.exists() else 0,
        answered=answered,
        rows_per_call=our["rows_per_call"],
    )
    header = (
        f"Measured {date.today().isoformat()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; {versions(project, env)}. Model: `{args.model_uri}` of a project rendered "
        f"with the default answers. CPUs idle: {idle:.0%} in the 5 s before the start, {idle_after:.0%} in "
        "the 5 s after the end. One server at a time on 127.0.0.1, wrk on the same machine "
        f"with 1 thread, {args.payloads} distinct one-record bodies from the test set; {args.warmup} s of "
        f"warm-up at 4 connections before each server's runs; {args.rounds} rounds of {args.round_seconds} s "
        "at 1 connection, "
        f"{args.load} s at 16. MLflow serves pyfunc (`predict`: the class); ours, the generated service, the "
        "native flavor (`predict_proba`); both predicted the same classes for the first 20 bodies."
    )
    commands = [
        " ".join(mlflow.command).format(port="PORT"),
        f"MODEL_URI={args.model_uri} MODEL_CONTRACT=model_contract.yaml \\",
        "  INFERENCE_LOG=/tmp/inference.jsonl PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) \\",
        f"  {' '.join(ours.command).format(port='PORT')}",
        "wrk -t1 -c CONNECTIONS -d SECONDS --timeout 10s --latency -s post.lua http://127.0.0.1:PORT/predict",
        f"uv run python bench/bench_serve.py {args.project} --write-docs  # all of the above, in turn",
    ]
    return report(figures, header, commands)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    service_arguments(parser)
    parser.add_argument("--model-uri", default="models:/customer_churn@champion")
    parser.add_argument(
        "--calls", type=int, default=150, help="in-process predictions per timing (default 150)"
    )
    parser.add_argument(
        "--ceiling-seconds", type=int, default=10, help="2 processes predicting, for the ceiling (0: skip)"
    )
    parser.add_argument("--warmup", type=int, default=3, help="seconds of untimed load first (default 3)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds at 1 connection (default 5)")
    parser.add_argument("--round-seconds", type=int, default=2, help="seconds per round (default 2)")
    parser.add_argument("--load", type=int, default=15, help="seconds at 16 connections (default 15)")
    parser.add_argument("--soak", type=int, default=60, help="seconds at 32 connections (default 60)")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the `## Serving` section of the docs"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as workdir:
        section = collect(args, Path(workdir))
    print(section)
    if args.write_docs:
        write_docs(section)


if __name__ == "__main__":
    main()
