"""Time cold `scaffold check` (a whole process, as pre-commit and CI run it) on a generated project and on a
dvc.yaml of 1,000 stages. Run by hand; figures go to docs/benchmarks.md.

    uv run python bench/bench_check.py [-n 7] [--stages 1000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scaffold.render import render

CHECK = [sys.executable, "-m", "scaffold", "check", "--exit-zero", "--format", "concise"]


def timed(command: list[str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def with_stages(base: Path, target: Path, stages: int) -> Path:
    """A copy of the project whose dvc.yaml has `stages` stages (each with a module and a test)."""
    shutil.copytree(base, target, symlinks=True)
    text = [(target / "dvc.yaml").read_text()]
    for index in range(stages - 3):
        text.append(f"\n  s{index}:\n    cmd: python -m customer_churn.stages.prepare\n")
        text.append(
            f"    deps:\n      - data/processed/train.csv\n    outs:\n      - data/chain/s{index}.csv\n"
        )
        (target / "tests" / "stages" / f"test_s{index}.py").write_text("")
    (target / "dvc.yaml").write_text("".join(text))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument("--stages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        os.environ["XDG_DATA_HOME"] = str(root / "xdg")
        base = render(root / "base")
        big = with_stages(base, root / "big", args.stages)
        rows = [
            (
                "cold `scaffold check` on a generated project",
                timed([*CHECK, str(base)], args.runs),
                "<= 0.3 s",
            ),
            (f"cold `scaffold check` on {args.stages} stages", timed([*CHECK, str(big)], 3), "<= 2 s"),
        ]
    print("| what | N | median | min | max | target |\n|---|---|---|---|---|---|")
    for what, samples, target in rows:
        print(
            f"| {what} | {len(samples)} | {statistics.median(samples):.3f} s | {min(samples):.3f} s "
            f"| {max(samples):.3f} s | {target} |"
        )


if __name__ == "__main__":
    main()
