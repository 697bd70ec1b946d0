"""Current data to try the monitors on: rows drawn from the held-out split, as they are or shifted.

A fresh sample is a draw (with replacement, seeded) of held-out rows: the training distribution, so the drift
check must stay quiet. `--drifted` then shifts every feature deterministically: each number up by one
standard deviation (kept within the schema's bounds), and in two rows of three the category, flag or code (a
number with a list of allowed values) set to the value that is rarest in the sample: the kind of change a
new market or a broken upstream job brings.
`make drift-demo` writes one and runs the drift check on it:

    python -m {{ cookiecutter.package_name }}.monitor.samples --drifted --output drifted.csv
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import reports_errors
from ..features import BOOLEAN_FEATURES, CATEGORICAL_FEATURES, NUMERIC_FEATURES
from ..paths import model_frames
from ..schemas import SCHEMAS
from .inputs import MonitorInputError, write_text

DEFAULT_OUTPUT = Path("data/monitoring/current.csv")
DEFAULT_ROWS = 1000
DEFAULT_SEED = 7


def draw(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """`rows` rows of `frame`, drawn with replacement from `seed`."""
    return frame.sample(n=rows, replace=True, random_state=seed).reset_index(drop=True)


def has_allowed_values(name: str) -> bool:
    return any(check.name == "isin" for check in SCHEMAS["processed"].to_schema().columns[name].checks)


def bounds(name: str) -> tuple[float, float]:
    """The lowest and highest value the processed schema allows `name` (infinite when unbounded)."""
    low, high = -np.inf, np.inf
    for check in SCHEMAS["processed"].to_schema().columns[name].checks:
        statistics = check.statistics
        if "min_value" in statistics:
            low = max(low, float(statistics["min_value"]))
        if "max_value" in statistics:
            high = min(high, float(statistics["max_value"]))
    return low, high


def drifted(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` after the shift the module's docstring describes; missing values stay missing."""
    shifted = frame.copy()
    codes = tuple(name for name in NUMERIC_FEATURES if has_allowed_values(name))
    for name in NUMERIC_FEATURES:
        if name in codes:
            continue
        values = frame[name].astype(float)
        spread = values.std()
        moved = (values + (spread if spread > 0 else 1.0)).clip(*bounds(name))
        integral = pd.api.types.is_integer_dtype(frame[name])
        shifted[name] = moved.round().astype(frame[name].dtype) if integral else moved
    for name in CATEGORICAL_FEATURES + BOOLEAN_FEATURES + codes:
        counts = frame[name].value_counts()
        if counts.empty:
            continue
        rarest = counts.index[-1]
        moved = np.arange(len(frame)) % 3 != 0
        shifted[name] = frame[name].where(~moved | frame[name].isna(), rarest)
    return shifted


def write_sample(
    path: Path = DEFAULT_OUTPUT,
    rows: int = DEFAULT_ROWS,
    seed: int = DEFAULT_SEED,
    *,
    drift: bool = False,
    source: Path | None = None,
) -> Path:
    """Write `rows` rows drawn from `source` (the held-out split) to `path` as CSV, shifted when `drift`."""
    source = source or model_frames().test
    if not source.is_file():
        raise MonitorInputError(f"{source}: file not found (`uv run dvc repro` writes the held-out split)")
    sample = draw(pd.read_csv(source), rows, seed)
    if drift:
        sample = drifted(sample)
    write_text(path, sample.to_csv(index=False))
    return path


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drifted", action="store_true", help="shift every feature")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--source", type=Path, help="rows to draw from (default: the held-out split)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    path = write_sample(args.output, args.rows, args.seed, drift=args.drifted, source=args.source)
    kind = "drifted" if args.drifted else "fresh (undrifted)"
    print(f"wrote {args.rows} {kind} rows to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
