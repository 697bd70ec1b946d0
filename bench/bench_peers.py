"""The registered @champion through `mlflow models serve`, BentoML 1.4 with adaptive batching, and the
generated service with shadowing off and on, under wrk at 16 and at 64 connections.

Run by hand, not by pytest, against a project whose @champion is registered and that has a second version to
shadow (`make promote` twice, the second time after changing a parameter):
`uv run python bench/bench_peers.py /path/to/customer-churn`. In one run, one server after the other on
127.0.0.1, each sent the same records of the test set: MLflow's server (its `dataframe_split` protocol), the
BentoML service of bench/bentoml_service.py and the generated service (both an array of one record, the body
the service's /predict takes for a batch). BentoML runs in an environment of its own, made once in a cache
folder with the project's mlflow, scikit-learn, skops, pandas, numpy and scipy. The generated service runs
as its image runs it (gunicorn, 2 workers), then again with SHADOW_MODEL_URI naming a version that is not the
champion; its shadow counters on /metrics must grow. It prints a markdown table with the aims' verdicts;
`--write-docs` also writes it as the marked `## Serving against BentoML and MLflow` section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from _common import OtherWork, idle_share, service_arguments, wait_for_quiet, write_section
from bench_serve import (
    DOCS,
    Load,
    Server,
    classes,
    installed,
    ms,
    prepared,
    request,
    run,
    run_wrk,
    servers,
    serving,
    verdict,
    versions,
)

BENCH = Path(__file__).resolve().parent
BENTOML = "bentoml==1.4.*"
# What loads the model: pinned in BentoML's environment to the project's versions.
SHARED = ("mlflow", "scikit-learn", "skops", "pandas", "numpy", "scipy")
SERVICE = "bentoml_service:PeerService"
HEADING = "## Serving against BentoML and MLflow"
SHADOW_LIMIT = 1.10  # the shadow-on p99 may be at most 10 % above the shadow-off one

# Runs in the project's interpreter, with its registry: the champion's version, and a registered version that
# is not the champion (@challenger, then @previous, then the newest other), to shadow.
REGISTRY = """
import json, sys
from mlflow import MlflowClient
client, name = MlflowClient(), sys.argv[1]
champion = client.get_model_version_by_alias(name, "champion").version
other = None
for alias in ("challenger", "previous"):
    try:
        version = client.get_model_version_by_alias(name, alias).version
    except Exception:
        continue
    if version != champion:
        other = [f"models:/{name}@{alias}", version]
        break
if other is None:
    versions = [v.version for v in client.search_model_versions(f"name = '{name}'") if v.version != champion]
    if versions:
        newest = max(versions, key=int)
        other = [f"models:/{name}/{newest}", newest]
print(json.dumps({"champion": champion, "other": other}))
"""

DOWNLOAD = """
import sys, mlflow.artifacts
mlflow.artifacts.download_artifacts(artifact_uri=sys.argv[1], dst_path=sys.argv[2])
"""


@dataclass(frozen=True)
class Measured:
    """One server's runs, by number of connections."""

    label: str
    loads: dict[int, Load]
    other_work: dict[int, float]  # share of the CPUs taken by processes outside the benchmark, during each


def bentoml_python(project: Path, env: dict[str, str], cache: Path) -> Path:
    """An interpreter with bentoml and the project's versions of what loads the model; made once per set of
    versions (uv, in `cache`), never in scaffold's or the project's environment."""
    found = installed(project, env, *SHARED)
    requirements = [BENTOML, *(f"{name}=={found[name]}" for name in SHARED if name in found)]
    digest = hashlib.sha256(" ".join([found["Python"], *requirements]).encode()).hexdigest()[:12]
    venv = cache / f"bentoml-{digest}"
    python = venv / "bin" / "python"
    if (venv / "bin" / "bentoml").exists():
        return python
    uv = shutil.which("uv") or sys.exit("uv is not on PATH: python3 -m pip install uv")
    print(f"BentoML: making its environment in {venv}", file=sys.stderr)
    shutil.rmtree(venv, ignore_errors=True)
    plain = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    run([uv, "venv", "--quiet", "--python", project / ".venv" / "bin" / "python", venv], plain, cache, 300)
    run([uv, "pip", "install", "--quiet", "--python", python, *requirements], plain, cache, 900)
    return python


def commit() -> str:
    """This checkout's commit, short (the project may have been rendered from another)."""
    found = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=BENCH, capture_output=True, text=True, check=False
    )
    return found.stdout.strip() or "(not a git checkout)"


def registry(project: Path, env: dict[str, str], name: str) -> tuple[str, tuple[str, str] | None]:
    """The champion's version, and (URI, version) of a registered version that is not the champion."""
    python = project / ".venv" / "bin" / "python"
    found = json.loads(run([python, "-c", REGISTRY, name], env, project, timeout=120))
    return str(found["champion"]), tuple(found["other"]) if found["other"] else None


def shadow_counts(port: int) -> tuple[float, float]:
    """Rows the challenger predicted and rows it dropped, over the service's life (its /metrics)."""
    status, body = request(port, "GET", "/metrics")
    if status != 200:
        sys.exit(f"the generated service's /metrics answered {status}")
    text = body.decode()

    def total(metric: str) -> float:
        pattern = rf"^{metric}_total(?:\{{[^}}]*\}})? (\S+)$"
        return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))

    return total("shadow_predictions"), total("shadow_dropped")


def wait_for_shadow(server: Server, port: int, timeout: float) -> None:
    """Send bodies until the challenger's counter grows: it loads after the champion, in the background."""
    deadline = time.monotonic() + timeout
    while shadow_counts(port)[0] == 0:
        if time.monotonic() > deadline:
            sys.exit(f"{server.label}: no shadow prediction in {timeout:.0f} s: is the challenger loading?")
        for body in server.bodies[:5]:
            request(port, "POST", server.predict_path, body)
        time.sleep(1)


def measure(
    server: Server, project: Path, workdir: Path, args: argparse.Namespace, wrk: str, shadowed: bool = False
) -> tuple[Measured, list[int], tuple[float, float] | None]:
    """Start the server, check its answers, warm it up and load it at each number of connections; always stop
    it. With `shadowed`, also what the challenger predicted and dropped meanwhile."""
    print(f"{server.label}: starting", file=sys.stderr)
    with serving(server, project, workdir, args.start_timeout) as port:
        answers = classes(server, port, 20)
        if shadowed:
            wait_for_shadow(server, port, args.start_timeout)
        run_wrk(port, server, 16, args.warmup, workdir, wrk)
        before = shadow_counts(port) if shadowed else None
        loads, other_work, other = {}, {}, OtherWork()
        for connections in args.connections:
            print(f"{server.label}: {args.seconds} s at {connections} connections", file=sys.stderr)
            other.start()
            loads[connections] = run_wrk(port, server, connections, args.seconds, workdir, wrk)
            other_work[connections] = other.share()
        counts = None
        if before is not None:
            time.sleep(3)  # the challenger's last gathering (SHADOW_BATCH_WAIT_MS, 1 s by default)
            after = shadow_counts(port)
            counts = (after[0] - before[0], after[1] - before[1])
    return Measured(server.label, loads, other_work), answers, counts


def table(measured: Sequence[Measured]) -> list[str]:
    lines = [
        "| server | connections | req/s | p50 | p99 | errors (non-2xx + socket) | CPUs taken by other work |",
        "|---|---|---|---|---|---|---|",
    ]
    for each in measured:
        for connections, load in each.loads.items():
            lines.append(
                f"| {each.label} | {connections} | {load.rate:.0f} | {ms(load.p50_ms)} | {ms(load.p99_ms)} "
                f"| {load.errors} of {load.requests} | {each.other_work[connections]:.0%} |"
            )
    return lines


def median(runs: Sequence[Measured], connections: int) -> tuple[float, float]:
    """Requests per second and p99 (ms) at so many connections, each the median over the runs."""
    loads = [each.loads[connections] for each in runs]
    return statistics.median(load.rate for load in loads), statistics.median(load.p99_ms for load in loads)


def aims(bentoml: Measured, off: Sequence[Measured], on: Sequence[Measured]) -> list[tuple[str, bool]]:
    """The issue's two aims at each number of connections; ours from the median of its rounds."""
    found = []
    for connections, theirs in bentoml.loads.items():
        rate, p99 = median(off, connections)
        found.append(
            (
                f"{connections} connections: ours ahead of BentoML ({rate:.0f} vs {theirs.rate:.0f} req/s) "
                f"at equal or lower p99 ({ms(p99)} vs {ms(theirs.p99_ms)})",
                rate > theirs.rate and p99 <= theirs.p99_ms,
            )
        )
    for connections in bentoml.loads:
        (_, p99_off), (_, p99_on) = median(off, connections), median(on, connections)
        found.append(
            (
                f"{connections} connections: shadowing costs the champion's p99 under 10 % "
                f"({ms(p99_on)} vs {ms(p99_off)}: {p99_on / p99_off - 1:+.1%})",
                p99_on < SHADOW_LIMIT * p99_off,
            )
        )
    return found


def collect(args: argparse.Namespace, workdir: Path) -> str:
    project, wrk, env, contract = prepared(args.project)
    python = project / ".venv" / "bin" / "python"
    name = contract["model"]["name"]
    args.model_uri = args.model_uri or f"models:/{name}@champion"
    champion, other = registry(project, env, name)
    shadow_uri, shadow_version = (
        (args.shadow_model_uri, "given") if args.shadow_model_uri else other or ("", "")
    )
    if not shadow_uri:
        sys.exit(
            f"model {name!r} has one version: change a parameter in params.yaml, `make repro` and "
            "`make promote`, then run again (or pass --shadow-model-uri)"
        )
    bento_python = bentoml_python(project, env, args.cache)
    model_dir = workdir / "champion"
    run([python, "-c", DOWNLOAD, args.model_uri, model_dir], env, project, timeout=300)

    mlflow, ours = servers(args, project, env, workdir)
    array_bodies = [f"[{body.decode()}]".encode() for body in ours.bodies]
    kind = ours.label.removeprefix("generated service ")  # (gunicorn, 2 uvicorn workers)
    ours = dataclasses.replace(ours, label=f"ours {kind}, shadow off", bodies=array_bodies)
    (workdir / "prometheus-shadow").mkdir()
    shadowing = dataclasses.replace(
        ours,
        label=ours.label.replace("shadow off", "shadow on"),
        env=ours.env
        | {"SHADOW_MODEL_URI": shadow_uri, "PROMETHEUS_MULTIPROC_DIR": str(workdir / "prometheus-shadow")},
    )
    bento_env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"} | {
        "PATH": f"{bento_python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "BENTOML_HOME": str(workdir / "bentoml"),
        "BENTOML_DO_NOT_TRACK": "True",
        "OMP_NUM_THREADS": "1",  # as the generated service predicts (task.predict_on_one_thread)
        "BENCH_MODEL_DIR": str(model_dir),
        "BENCH_WORKERS": str(args.workers),
        "BENCH_MAX_BATCH_SIZE": str(args.max_batch_size),
        "BENCH_MAX_LATENCY_MS": str(args.max_latency_ms),
    }
    bento = Server(
        label=f"BentoML 1.4 (adaptive batching, {args.workers} workers)",
        command=[
            str(bento_python.parent / "bentoml"),
            "serve",
            SERVICE,
            "--working-dir",
            str(BENCH),
            "--host",
            "127.0.0.1",
            "-p",
            "{port}",
        ],
        env=bento_env,
        ready_path="/readyz",
        predict_path="/predict",
        bodies=array_bodies,
    )

    idle = wait_for_quiet(args.wait_quiet)
    load_before = os.getloadavg()
    runs = [measure(mlflow, project, workdir, args, wrk), measure(bento, project, workdir, args, wrk)]
    for round_ in range(1, args.rounds + 1):  # alternating: the machine's speed drifts within minutes
        numbered = f" (round {round_})" if args.rounds > 1 else ""
        plain = dataclasses.replace(ours, label=ours.label + numbered)
        runs.append(measure(plain, project, workdir, args, wrk))
        shadowed = dataclasses.replace(shadowing, label=shadowing.label + numbered)
        runs.append(measure(shadowed, project, workdir, args, wrk, shadowed=True))
    load_after, idle_after = os.getloadavg(), idle_share(5)
    answers = {each.label: found for each, found, _ in runs}
    if len({tuple(found) for found in answers.values()}) != 1:
        sys.exit(f"the servers disagree on the first 20 bodies: {answers}")
    measured = [each for each, _, _ in runs]
    off, on = measured[2::2], measured[3::2]
    shadowed_rows = sum(counts[0] for _, _, counts in runs if counts)
    dropped_rows = sum(counts[1] for _, _, counts in runs if counts)
    answered = sum(load.requests - load.non2xx for each in on for load in each.loads.values())
    found = aims(measured[1], off, on)

    bento_version = run([bento_python, "-c", "import bentoml; print(bentoml.__version__)"], env, project, 120)
    header = (
        f"Measured {date.today().isoformat()} by scaffold {commit()} on {platform.system()} "
        f"{platform.machine()}, "
        f"{os.cpu_count()} CPUs; {versions(project, env)}, bentoml {bento_version.strip()} (its own "
        f"environment, with the project's {', '.join(SHARED)}). Load average "
        f"{load_before[0]:.2f} before the first server, {load_after[0]:.2f} after the last; CPUs idle "
        f"{idle:.0%} in the 5 s before, {idle_after:.0%} in the 5 s after. Model: `{args.model_uri}` "
        f"(version {champion}) of a project rendered with the default answers, downloaded once for BentoML. "
        f"One server at a time on 127.0.0.1, wrk on the same machine with 1 thread, {args.payloads} distinct "
        f"one-record bodies from the test set; {args.warmup} s of warm-up at 16 connections, then "
        f"{args.seconds} s at each of {' and '.join(map(str, args.connections))} connections. Ours ran "
        f"{args.rounds} time(s) with shadowing off and on, alternately; its figures in the aims are the "
        "medians of its rounds. All servers predicted the same classes for the first 20 bodies. The last "
        f"column: the share of the {os.cpu_count()} CPUs' time that processes other than the benchmark, its "
        "servers and wrk took during that load (/proc): how much of the run's noise came from elsewhere."
    )
    notes = [
        "MLflow serves pyfunc with 1 uvicorn worker (its default), in its `dataframe_split` protocol. "
        f"BentoML and ours were sent the same bodies, an array of one record; both ran {args.workers} worker "
        "processes predicting `predict_proba` of the native flavor on one OpenMP thread. BentoML's "
        f"dispatcher gathered at most {args.max_batch_size} rows per call (ours: its default "
        f"`MICRO_BATCH_MAX_ROWS`, 128) and refuses a request that waited {args.max_latency_ms} ms "
        "(`max_latency_ms`); its access log is off, as ours has none; both keep their Prometheus metrics.",
        f"Shadow on: `SHADOW_MODEL_URI={shadow_uri}` (version {shadow_version}, not the champion). The "
        f"challenger predicted {shadowed_rows:.0f} rows from the end of the warm-ups to 3 s after the loads, "
        f"in which ours answered {answered} requests, and dropped {dropped_rows:.0f} (its queue full): its "
        "`shadow_*` counters on /metrics.",
    ]
    met = sum(ok for _, ok in found)
    lines = [header, "", *table(measured), "", *(f"{note}\n" for note in notes)]
    lines += [f"**Aims: {met} of {len(found)} met.**", ""]
    lines += [f"- {what}: {verdict(ok)}" for what, ok in found]
    commands = [
        " ".join(mlflow.command).format(port="PORT"),
        f"BENCH_MODEL_DIR=champion/ OMP_NUM_THREADS=1 BENCH_WORKERS={args.workers} \\",
        f"  bentoml serve {SERVICE} --working-dir bench --host 127.0.0.1 -p PORT",
        f"MODEL_URI={args.model_uri} MODEL_CONTRACT=model_contract.yaml \\",
        "  INFERENCE_LOG=/tmp/inference.jsonl PROMETHEUS_MULTIPROC_DIR=$(mktemp -d) \\",
        f"  {' '.join(ours.command).format(port='PORT')}",
        f"SHADOW_MODEL_URI={shadow_uri} ...  # the same, shadowing",
        "wrk -t1 -c CONNECTIONS -d SECONDS --timeout 10s --latency -s post.lua http://127.0.0.1:PORT/predict",
        f"uv run python bench/bench_peers.py {args.project} --write-docs  # all of the above, in turn",
    ]
    lines += ["", "Commands:", "", "```bash", *commands, "```"]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    service_arguments(parser)
    parser.add_argument("--model-uri", help="the model served (default: models:/<model>@champion)")
    parser.add_argument(
        "--shadow-model-uri",
        help="the challenger (default: @challenger, @previous or the newest version not the champion)",
    )
    parser.add_argument("--warmup", type=int, default=5, help="seconds of untimed load first (default 5)")
    parser.add_argument("--seconds", type=int, default=20, help="seconds of each load (default 20)")
    parser.add_argument(
        "--connections", type=int, nargs="+", default=[16, 64], help="wrk's connections (default 16 64)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="runs of ours with shadowing off then on, alternately (default 2)",
    )
    parser.add_argument("--max-batch-size", type=int, default=128, help="BentoML's max_batch_size")
    parser.add_argument("--max-latency-ms", type=int, default=1000, help="BentoML's max_latency_ms")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scaffold-bench",
        help="where BentoML's environment is made and kept",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help=f"write the `{HEADING}` section of the docs"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as workdir:
        section = collect(args, Path(workdir))
    print(section)
    if args.write_docs:
        write_section(DOCS, "bench_peers", HEADING, section)


if __name__ == "__main__":
    main()
