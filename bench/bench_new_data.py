"""Time `scaffold new --data` on a 1 GB CSV, and its peak memory, next to `scaffold new` on the example.

    uv run --with numpy python bench/bench_new_data.py [--rows 15500000] [--keep /tmp/big.csv] [-n 3]

The table is made here from a fixed seed (pyarrow, in blocks): an id, six numbers (one with gaps), three
categories, a binary target; about 66 bytes a row, so 15.5 million rows are about 1 GB. Each run renders into
a new directory, with its hooks: the profile of the table (one streaming pass; with `--id-column account`,
so every id is checked unique), the render, the copy into data/raw/, `dvc add`, `dvc push` to the local
remote and `uv lock`. Peak memory is the largest resident set of the `scaffold` process and of every process
it started (getrusage of the children, which includes the hook, DVC and uv), measured by /usr/bin/time. It
first waits (up to --wait-quiet seconds) for a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _common import wait_for_quiet

BLOCK_ROWS = 500_000


def make_table(path: Path, rows: int, seed: int = 7) -> Path:
    """A CSV of `rows` rows drawn from `seed`, written in blocks (bounded memory) to a temporary file renamed
    when complete: an interrupted run leaves no partial table for `--keep` to reuse."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pacsv

    rng = np.random.default_rng(seed)
    schema, writer = None, None
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as handle:
        for start in range(0, rows, BLOCK_ROWS):
            size = min(BLOCK_ROWS, rows - start)
            tenure = rng.integers(0, 120, size)
            charges = np.round(rng.gamma(4.0, 15.0, size), 2)
            calls = rng.poisson(1.5, size)
            score = -1.5 + 0.02 * charges - 0.02 * tenure + 0.4 * calls + rng.normal(0, 1, size)
            usage = np.round(rng.normal(50, 15, size), 1)
            usage_with_gaps = pa.array(usage, mask=rng.random(size) < 0.02)
            table = pa.table(
                {
                    "account": pa.array([f"A{start + index:09d}" for index in range(size)]),
                    "tenure": tenure,
                    "charges": charges,
                    "support_calls": calls,
                    "usage": usage_with_gaps,
                    "age": rng.integers(18, 90, size),
                    "discount": np.round(rng.random(size), 3),
                    "plan": rng.choice(["basic", "plus", "premium", "family"], size),
                    "region": rng.choice(["north", "south", "east", "west", "centre"], size),
                    "channel": rng.choice(["web", "shop", "phone"], size),
                    "left": np.where(score > 0.8, "yes", "no"),
                }
            )
            if writer is None:
                schema = table.schema
                writer = pacsv.CSVWriter(handle, schema)
            writer.write_table(table.cast(schema))
        if writer is not None:
            writer.close()
    partial.replace(path)
    return path


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident megabytes (largest process) of `command`, by /usr/bin/time."""
    start = time.perf_counter()
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command], cwd=cwd, capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return elapsed, int(peak.group(1)) / 1024 if peak else float("nan")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=15_500_000)
    parser.add_argument("--keep", type=Path, help="make the table here once and reuse it")
    parser.add_argument("-n", type=int, default=3, help="runs of each command")
    parser.add_argument("--wait-quiet", type=float, default=600)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-new-data-") as scratch:
        root = Path(scratch)
        table = args.keep or root / "big.csv"
        if not table.exists():
            print(f"making {table} ({args.rows:,} rows)...", file=sys.stderr)
            make_table(table, args.rows)
        size_gb = table.stat().st_size / 1e9
        os.environ.setdefault("XDG_DATA_HOME", str(root / "xdg"))  # the local DVC remote lands there
        idle = wait_for_quiet(args.wait_quiet)
        scaffold = [sys.executable, "-m", "scaffold", "new", "--no-input"]
        results: dict[str, list[tuple[float, float]]] = {"example": [], "data": []}
        for index in range(args.n):
            data = ["--data", str(table), "--target", "left", "--id-column", "account"]
            for kind, extra in (("example", []), ("data", data)):
                output = root / f"{kind}-{index}"
                results[kind].append(timed([*scaffold, "-o", str(output), *extra], root))
                shutil.rmtree(output, ignore_errors=True)
                shutil.rmtree(root / "xdg", ignore_errors=True)
        print(
            f"\ntable: {table.name}, {size_gb:.2f} GB, {args.rows:,} rows; machine {idle:.0%} idle at start"
        )
        print("| command | N | median | min | max | peak memory (largest process) |")
        print("|---|---|---|---|---|---|")
        for kind, label in (
            ("example", "`scaffold new` (the example)"),
            ("data", "`scaffold new --data` (1 GB CSV)"),
        ):
            seconds = [run[0] for run in results[kind]]
            peak = max(run[1] for run in results[kind])
            print(
                f"| {label} | {len(seconds)} | {statistics.median(seconds):.1f} s | {min(seconds):.1f} s "
                f"| {max(seconds):.1f} s | {peak:.0f} MB |"
            )


if __name__ == "__main__":
    main()
