"""Time `scaffold add-stage` as a user waits for it (a whole process), on a generated project and on a
dvc.yaml of 1,000 stages, next to `dvc stage add` for scale. Run by hand; figures go to docs/benchmarks.md.

    uv run python bench/bench_add_stage.py [-n 7] [--stages 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import print_timings

from scaffold.render import render

SCAFFOLD = [sys.executable, "-m", "scaffold"]


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def big_project(base: Path, root: Path, stages: int) -> Path:
    """The generated project with `stages` chained stages appended to its dvc.yaml."""
    project = root / "big"
    shutil.copytree(base, project, symlinks=True)
    lines = [(project / "dvc.yaml").read_text()]
    previous = "data/processed/train.csv"
    for index in range(stages - 3):
        out = f"data/chain/s{index}.csv"
        lines.append(f"\n  s{index}:\n    cmd: python -m x --input {previous} --output {out}\n")
        lines.append(f"    deps:\n      - {previous}\n    outs:\n      - {out}\n")
        previous = out
    (project / "dvc.yaml").write_text("".join(lines))
    return project


def median_of(runs: int, make_copy, command: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        project = make_copy()
        samples.append(timed(command, project))
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument("--stages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        os.environ["XDG_DATA_HOME"] = str(root / "xdg")
        base = render(root / "base")
        big = big_project(base, root, args.stages)
        counter = iter(range(10**6))

        def copy_of(source: Path) -> Path:
            target = root / f"copy{next(counter)}"
            shutil.copytree(source, target, symlinks=True)
            return target

        add = [*SCAFFOLD, "add-stage", "featurize", "--after", "prepare", "--params", "scale=1.5"]
        dvc_add = [
            sys.executable,
            "-m",
            "dvc",
            "stage",
            "add",
            "-n",
            "featurize",
            "-d",
            "data/processed/train.csv",
        ]
        dvc_add += ["-o", "data/featurize/train.csv", "python -m x"]
        small = median_of(args.runs, lambda: copy_of(base), add)
        large = median_of(3, lambda: copy_of(big), add)
        dvc = median_of(args.runs, lambda: copy_of(base), dvc_add)
        rows = [
            ("`scaffold add-stage` on a generated project", small, "< 0.3 s"),
            (f"`scaffold add-stage` on a dvc.yaml of {args.stages} stages", large, "< 2 s"),
            ("`dvc stage add` on a generated project (for scale)", dvc, ""),
        ]
    print_timings(rows)


if __name__ == "__main__":
    main()
