"""The bundled example's data: drawn from a fixed seed, byte for byte the same on every machine.

Nothing is downloaded: rows come from `random.Random.random()` only, the one part of `random` whose sequence
Python guarantees across versions, written with fixed float formatting. So CI can regenerate the raw data
instead of pulling it from a DVC remote it cannot reach, and DVC sees the tracked file unchanged. Once the
project tracks other data (yours), the command refuses to overwrite it. Standard library only: the
post-generation hook runs it before any dependency is installed.

    python -m {{ cookiecutter.package_name }}.example_data [--rows N --seed S --output FILE]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import math
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from .paths import RAW_DATA

Row = dict[str, str | int]
DEFAULT_SEED = 42

{% include "examples/" ~ cookiecutter.task ~ "/example.py" %}

def choice(rng: random.Random, options: Sequence[str], weights: Sequence[float]) -> str:
    """One of `options`, drawn with `weights` from a single uniform draw."""
    draw, cumulative = rng.random() * sum(weights), 0.0
    for option, weight in zip(options, weights, strict=True):
        cumulative += weight
        if draw < cumulative:
            return option
    return options[-1]


def normal(rng: random.Random, mean: float, stdev: float) -> float:
    """Box-Muller from two uniform draws."""
    u1, u2 = 1.0 - rng.random(), rng.random()
    return mean + stdev * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> list[Row]:
    """`rows` rows drawn from `seed`; the same arguments always give the same rows."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    rng = random.Random(seed)
    return [example_row(rng, index) for index in range(1, rows + 1)]


def to_csv(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> bytes:
    """The example as the bytes of a CSV file."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(generate(rows, seed))
    return buffer.getvalue().encode("utf-8")


def tracked_md5(path: Path) -> str | None:
    """The md5 the `.dvc` file next to `path` records, or None when DVC does not track it."""
    pointer = path.with_name(f"{path.name}.dvc")
    if not pointer.is_file():
        return None
    found = re.search(
        r"^\s*-?\s*md5:\s*([0-9a-f]{32})\s*$", pointer.read_text(encoding="utf-8"), re.MULTILINE
    )
    return found.group(1) if found else None


def write_csv(path: Path = RAW_DATA, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> Path:
    """Write the example to `path` through a temporary file, so a crash leaves no half-written CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(to_csv(rows, seed))
    partial.replace(path)
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=ABOUT.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--output", type=Path, default=RAW_DATA)
    args = parser.parse_args(argv)
    tracked = tracked_md5(args.output)
    if tracked is not None and tracked != hashlib.md5(to_csv(args.rows, args.seed)).hexdigest():
        print(
            f"error: {args.output}.dvc tracks other data than the example: fetch it with `dvc pull` "
            "(CI needs a shared DVC remote for that: `dvc remote add --default NAME s3://...`)",
            file=sys.stderr,
        )
        return 2
    path = write_csv(args.output, args.rows, args.seed)
    print(f"wrote {args.rows} example rows to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
