"""Time `scaffold new` against cookiecutter-data-science, and a new project's setup and first `dvc repro`.

Run by hand, not by pytest: `uv run python bench/bench_new.py --help`. It prints a markdown table of medians;
`--write-docs` also replaces the marked section of docs/benchmarks.md with it (one section per bytecode mode).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from importlib.metadata import version
from pathlib import Path

from _common import idle_share, wait_for_quiet

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template"
RENDER, NEW = "scaffold: render only, whole process", "scaffold: `scaffold new --no-input`, with hooks"
CCDS_RENDER, CCDS_NEW = "ccds: render only, whole process", "ccds: `ccds --no-input`, with its hooks"
INTERPRETER = "interpreter start (`python -c pass`), paid once per hook"
DOCS = ROOT / "docs" / "benchmarks.md"

# What a user of the Python API waits for: one process that imports cookiecutter and renders, no hooks.
# `{preamble}` is where cookiecutter-data-science applies its monkey patches (what its `ccds` command does).
RENDER_PROCESS = (
    "import sys\n{preamble}\nfrom cookiecutter.main import cookiecutter\n"
    "cookiecutter(sys.argv[1], no_input=True, output_dir=sys.argv[2], accept_hooks=False)\n"
)

# The API call alone, imports done: one untimed call first, then `runs` timed calls into fresh directories.
RENDER_IN_PROCESS = """
import json, sys, tempfile, time
{preamble}
from cookiecutter.main import cookiecutter
template, runs, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
times = []
for _ in range(runs + 1):
    out = tempfile.mkdtemp(dir=root)
    start = time.perf_counter()
    cookiecutter(template, no_input=True, output_dir=out, accept_hooks=False)
    times.append(time.perf_counter() - start)
print(json.dumps(times[1:]))
"""

# Runs the rendered post-generation hook itself, in the project it would run in, and times each function its
# main() calls (nested calls count towards their caller), plus DVC's import, Repo.init and Repo.add inside it.
HOOK_PARTS = """
import contextlib, functools, importlib.util, io, json, sys, time
spec = importlib.util.spec_from_file_location("post_gen_project", sys.argv[1])
hook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hook)
parts, depth = {}, 0
def timed(name, function, outermost=True):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        global depth
        depth += 1
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            depth -= 1
            if depth == 0 or not outermost:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - start
    return wrapper
start = time.perf_counter()
from dvc.repo import Repo
parts["track_data_with_dvc: import dvc.repo"] = imported = time.perf_counter() - start
Repo.init = staticmethod(timed("track_data_with_dvc: Repo.init", Repo.init, outermost=False))
Repo.add = timed("track_data_with_dvc: Repo.add", Repo.add, outermost=False)
for name, value in list(vars(hook).items()):
    if callable(value) and getattr(value, "__module__", "") == hook.__name__ and name != "main":
        setattr(hook, name, timed(name, value))
with contextlib.redirect_stdout(io.StringIO()):
    hook.main()
if "track_data_with_dvc" in parts:  # the hook's own DVC import found the module already loaded
    parts["track_data_with_dvc"] += imported
print(json.dumps(parts))
"""


# Compile the standard library into the bytecode cache, without site-packages and what nothing here imports.
COMPILE_STDLIB = """
import compileall, re, sysconfig
skip = re.compile(r"/(site-packages|dist-packages|test|idlelib|tkinter|lib2to3|turtledemo)/")
compileall.compile_dir(sysconfig.get_paths()["stdlib"], quiet=1, workers=0, rx=skip)
"""


@dataclass(frozen=True)
class Row:
    what: str
    samples: list[float]
    target: str = ""
    verdict: str = ""
    unit: str = " s"  # "x" for a ratio


def run(command: Sequence[str | Path], env: dict[str, str], cwd: Path | None = None) -> str:
    """Run a command, return its stdout; on failure stop the benchmark with its stderr."""
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{result.stderr}")
    return result.stdout


def timed_run(command: Sequence[str | Path], env: dict[str, str], cwd: Path | None = None) -> float:
    start = time.perf_counter()
    run(command, env, cwd)
    return time.perf_counter() - start


def fresh_dir(root: Path) -> Path:
    return Path(tempfile.mkdtemp(dir=root))


def bench_env(root: Path, no_package_bytecode: bool) -> dict[str, str]:
    """The caller's environment minus its virtualenv, with DVC's local storage under `root`.

    Bytecode lives in a cache of our own under `root` (PYTHONPYCACHEPREFIX), so what other runs left beside
    the sources does not count. By default each process writes to it, as after an install that compiled; with
    `no_package_bytecode` it holds the standard library only and nothing is written (PYTHONDONTWRITEBYTECODE),
    so every process compiles the packages it imports, as after `uv sync` where that variable is set.
    """
    dropped = {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env["XDG_DATA_HOME"] = str(root / "xdg")
    env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    if no_package_bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def compile_stdlib(pythons: set[str], env: dict[str, str]) -> None:
    """Fill the bytecode cache with each interpreter's standard library (its installs ship it compiled)."""
    env = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    for python in sorted(pythons):
        run([python, "-c", COMPILE_STDLIB], env)


Probe = Callable[[], dict[str, float]]  # one measurement: what it timed, in seconds


def whole_process(name: str, command: Callable[[], list[str]], env: dict[str, str]) -> Probe:
    return lambda: {name: timed_run(command(), env)}


def render_probes(root: Path, ccds: Path | None, ccds_python: str, env: dict[str, str]) -> list[Probe]:
    """The whole-process commands, each making a fresh output directory when it runs."""
    patches = "import ccds.__main__"  # what the `ccds` command runs first: its patches to cookiecutter
    commands = {
        RENDER: lambda: [
            sys.executable, "-c", RENDER_PROCESS.format(preamble=""), str(TEMPLATE), str(fresh_dir(root))
        ],
        NEW: lambda: [sys.executable, "-m", "scaffold", "new", "--no-input", "-o", str(fresh_dir(root))],
    }  # fmt: skip
    if ccds is not None:
        commands[CCDS_RENDER] = lambda: [
            ccds_python, "-c", RENDER_PROCESS.format(preamble=patches), str(ccds), str(fresh_dir(root))
        ]  # fmt: skip
        commands[CCDS_NEW] = lambda: [
            ccds_python, "-m", "ccds", str(ccds), "--no-input", "-o", str(fresh_dir(root))
        ]  # fmt: skip
    return [whole_process(name, command, env) for name, command in commands.items()]


def in_rounds(probes: list[Probe], runs: int) -> dict[str, list[float]]:
    """One untimed round, then `runs` rounds of every probe in turn: drift on a shared box hits all alike."""
    samples: dict[str, list[float]] = {}
    for round_ in range(runs + 1):
        for probe in probes:
            for name, seconds in probe().items():
                if round_:
                    samples.setdefault(name, []).append(seconds)
    return samples


def time_in_process(
    python: str, template: Path, preamble: str, runs: int, root: Path, env: dict[str, str]
) -> list[float]:
    code = RENDER_IN_PROCESS.format(preamble=preamble)
    samples: list[float] = json.loads(run([python, "-c", code, template, str(runs), fresh_dir(root)], env))
    return samples


def rendered_post_gen_hook(destination: Path) -> Path:
    """The post-generation hook as cookiecutter renders it for the default answers."""
    from cookiecutter.generate import generate_context
    from cookiecutter.prompt import prompt_for_config
    from cookiecutter.utils import create_env_with_context

    context = generate_context(context_file=str(TEMPLATE / "cookiecutter.json"))
    context["cookiecutter"] = prompt_for_config(context, no_input=True)
    text = (TEMPLATE / "hooks" / "post_gen_project.py").read_text(encoding="utf-8")
    destination.write_text(create_env_with_context(context).from_string(text).render(**context))
    return destination


def hook_parts_probe(root: Path, env: dict[str, str]) -> Probe:
    """Each function of the post-generation hook, run in a project rendered without hooks.

    The hook itself is rendered and run (not a copy of its commands), so the figures follow its edits.
    """
    hook = rendered_post_gen_hook(fresh_dir(root) / "post_gen_project.py")

    def probe() -> dict[str, float]:
        from cookiecutter.main import cookiecutter

        out = str(fresh_dir(root))
        project = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=out, accept_hooks=False))
        parts: dict[str, float] = json.loads(run([sys.executable, "-c", HOOK_PARTS, hook], env, project))
        parts[INTERPRETER] = timed_run([sys.executable, "-c", "pass"], env)
        return parts

    return probe


def new_project(root: Path, env: dict[str, str]) -> Path:
    out = fresh_dir(root)
    run([sys.executable, "-m", "scaffold", "new", "--no-input", "-o", out], env)
    (project,) = out.iterdir()
    return project


def time_setup(runs: int, root: Path, env: dict[str, str]) -> tuple[dict[str, list[float]], str]:
    """`uv sync --locked`, then `uv run dvc repro`, in fresh projects; an untimed sync first warms uv's cache.

    Each project has a new .venv, so its first `dvc repro` compiles what it imports, as a user's does; with
    bytecode cached, it writes its bytecode into that .venv as a user's would.
    """
    uv = shutil.which("uv") or sys.exit("uv is not on PATH")
    if "PYTHONDONTWRITEBYTECODE" not in env:
        env = {key: value for key, value in env.items() if key != "PYTHONPYCACHEPREFIX"}
    warm = new_project(root, env)
    run([uv, "sync", "--locked", "--quiet"], env, warm)
    mlflow = run([warm / ".venv/bin/python", "-c", "import mlflow; print(mlflow.__version__)"], env).strip()
    shutil.rmtree(warm.parent)
    parts: dict[str, list[float]] = {"`uv sync --locked`": [], "`uv run dvc repro`": []}
    for _ in range(runs):
        project = new_project(root, env)
        parts["`uv sync --locked`"].append(timed_run([uv, "sync", "--locked"], env, project))
        parts["`uv run dvc repro`"].append(timed_run([uv, "run", "dvc", "repro"], env, project))
        shutil.rmtree(project.parent)
    return parts, mlflow


def tool_version(command: list[str]) -> str:
    """The first word of a `--version` answer that starts with a digit."""
    words = subprocess.run(command, capture_output=True, text=True, check=False).stdout.split()
    return next((word for word in words if word[:1].isdigit()), "unknown")


def machine(ccds_python: str | None, mlflow: str, no_package_bytecode: bool, idle: float) -> str:
    ccds = ""
    if ccds_python:
        get = "from importlib.metadata import version; print(version('cookiecutter-data-science'))"
        ccds = f", cookiecutter-data-science {tool_version([ccds_python, '-c', get])}"
    bytecode = (
        "the standard library's cached; installed packages compiled by every process that imports them "
        "(`PYTHONDONTWRITEBYTECODE=1`, no bytecode beside them)"
        if no_package_bytecode
        else "cached, as after an install (one untimed run first)"
    )
    commit = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], dict(os.environ)).strip()
    if run(["git", "-C", ROOT, "status", "--porcelain", "--", "scaffold", "template"], dict(os.environ)):
        commit += " with uncommitted changes to scaffold/ or template/"
    return (
        f"Measured {date.today().isoformat()}, scaffold at {commit}, "
        f"on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; cookiecutter {version('cookiecutter')}, "
        f"dvc {version('dvc')}, mlflow {mlflow} (in the generated project), "
        f"uv {tool_version(['uv', '--version'])}, git {tool_version(['git', '--version'])}{ccds}. "
        f"Bytecode: {bytecode}. CPUs idle: {idle:.0%} in the 5 s before the start, "
        f"{idle_share(5):.0%} in the 5 s after the end."
    )


def seconds(value: float, unit: str = " s") -> str:
    return f"{value:.3f}{unit}" if value < 1 else f"{value:.2f}{unit}"


def stats(samples: list[float], unit: str = " s") -> str:
    cells = (statistics.median(samples), min(samples), max(samples))
    return f"{len(samples)} | " + " | ".join(seconds(value, unit) for value in cells)


def verdict(samples: list[float], limit: float) -> str:
    return "pass" if statistics.median(samples) <= limit else "FAIL"


def render_verdict(ratios: list[float]) -> str:
    """No slower than ccds: faster at the median; a tie when slower at the median but faster in some round."""
    if statistics.median(ratios) <= 1:
        return "pass"
    return "tie (faster in some rounds)" if min(ratios) <= 1 else "FAIL (slower in every round)"


def part_label(name: str) -> str:
    parent, _, child = name.partition(": ")
    if not child:
        return f"`{name}`" if name.isidentifier() else name
    return f"`{parent}`, of which `{child}`"


def report(rows: list[Row], parts: dict[str, list[float]], header: str) -> str:
    lines = [
        header,
        "",
        "| what | N | median | min | max | target | result |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {row.what} | {stats(row.samples, row.unit)} | {row.target} | {row.verdict} |" for row in rows
    ]
    if parts:
        lines += ["", "Where the post-generation hook's time goes (each function its `main()` calls):", ""]
        lines += ["| part | N | median | min | max |", "|---|---|---|---|---|"]
        tops = [name for name in parts if ": " not in name]
        ordered = [name for top in tops for name in (top, *(n for n in parts if n.startswith(f"{top}: ")))]
        lines += [f"| {part_label(name)} | {stats(parts[name])} |" for name in ordered]
        by_name = {row.what: statistics.median(row.samples) for row in rows}
        added = by_name[NEW] - by_name[RENDER]
        in_functions = sum(statistics.median(parts[name]) for name in tops if name.isidentifier())
        lines += [
            "",
            f"The hooks and the CLI add {seconds(added)} to the render (difference of the medians above); "
            f"the post-generation hook's functions account for {seconds(in_functions)} of it.",
        ]
    return "\n".join(lines)


def collect(args: argparse.Namespace, root: Path) -> str:
    idle = wait_for_quiet(args.wait_quiet)  # other work on the machine shows in the figures: say how much
    ccds_python = args.ccds_python if args.ccds else None
    if ccds_python and subprocess.run([ccds_python, "-c", "import ccds"], capture_output=True).returncode:
        sys.exit(
            f"{ccds_python} cannot import ccds: give --ccds-python of a venv with cookiecutter-data-science"
        )
    env = bench_env(root, args.no_package_bytecode)
    if args.no_package_bytecode:
        compile_stdlib({sys.executable, ccds_python or sys.executable}, env)
    probes = render_probes(root, args.ccds, args.ccds_python, env)
    if args.hook_parts:
        probes.append(hook_parts_probe(root, env))
    whole = in_rounds(probes, args.runs)
    parts = {
        name: samples for name, samples in whole.items() if name not in {RENDER, NEW, CCDS_RENDER, CCDS_NEW}
    }
    in_process = time_in_process(sys.executable, TEMPLATE, "", args.runs, root, env)
    rows = [
        Row("scaffold: render only, API call in process", in_process),
        Row(RENDER, whole[RENDER]),
        Row(NEW, whole[NEW], "≤ 3 s", verdict(whole[NEW], 3.0)),
    ]
    if args.ccds:
        in_process = time_in_process(
            args.ccds_python, args.ccds, "import ccds.__main__", args.runs, root, env
        )
        rows += [
            Row("ccds: render only, API call in process", in_process),
            Row(CCDS_RENDER, whole[CCDS_RENDER]),
        ]
        rows.append(Row(CCDS_NEW, whole[CCDS_NEW]))
        ratios = [ours / theirs for ours, theirs in zip(whole[RENDER], whole[CCDS_RENDER], strict=True)]
        what = "render only, whole process: scaffold / ccds, same round"
        rows.append(Row(what, ratios, "≤ 1x", render_verdict(ratios), unit="x"))
    mlflow = "not measured"
    if args.setup_runs:
        setup, mlflow = time_setup(args.setup_runs, root, env)
        rows += [Row(f"project: {name}", samples) for name, samples in setup.items()]
        total = [sum(pair) for pair in zip(*setup.values(), strict=True)]
        rows.append(Row("project: setup + first `dvc repro`", total, "≤ 60 s", verdict(total, 60.0)))
    return report(rows, parts, machine(ccds_python, mlflow, args.no_package_bytecode, idle))


def write_docs(section: str, no_package_bytecode: bool) -> None:
    """Replace the text between this mode's markers in docs/benchmarks.md."""
    name = "bench_new-no-package-bytecode" if no_package_bytecode else "bench_new"
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = DOCS.read_text(encoding="utf-8")
    before, found_start, rest = text.partition(start)
    _, found_end, after = rest.partition(end)
    if not found_start or not found_end:
        sys.exit(f"{DOCS} has no {start} ... {end} section to replace")
    DOCS.write_text(f"{before}{start}\n{section}\n{end}{after}", encoding="utf-8")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--runs", type=int, default=7, help="repetitions of each render (default 7)")
    parser.add_argument(
        "--setup-runs",
        type=int,
        default=3,
        help="repetitions of setup + first dvc repro (default 3; 0: skip)",
    )
    parser.add_argument("--ccds", type=Path, help="a checkout of cookiecutter-data-science to compare with")
    parser.add_argument(
        "--ccds-python",
        default=sys.executable,
        help="python of an environment with cookiecutter-data-science installed (default: this one)",
    )
    parser.add_argument(
        "--no-package-bytecode",
        action="store_true",
        help="every process compiles the installed packages it imports (PYTHONDONTWRITEBYTECODE=1 after an "
        "install that did not compile them, as uv's default); the standard library keeps its bytecode",
    )
    parser.add_argument(
        "--no-hook-parts", dest="hook_parts", action="store_false", help="skip the post-gen hook breakdown"
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=600,
        help="seconds to wait for 5 s with the CPUs 90%% idle before starting (default 600)",
    )
    parser.add_argument(
        "--write-docs", action="store_true", help="refresh the marked section of docs/benchmarks.md"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-new-") as root:
        section = collect(args, Path(root))
    print(section)
    if args.write_docs:
        write_docs(section, args.no_package_bytecode)


if __name__ == "__main__":
    main()
