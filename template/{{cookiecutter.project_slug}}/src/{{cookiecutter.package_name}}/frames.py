"""Read and write a table whatever its format: CSV, or Parquet by the file's suffix (`.parquet`, `.pq`).

The raw data keeps the format it came in (`scaffold new --data` copies the file as it is); the pipeline's own
frames are CSV, which DVC can diff and a person can read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PARQUET_SUFFIXES = (".parquet", ".pq")


def read_table(path: Path) -> pd.DataFrame:
    """The table at `path`; OSError or ValueError when it cannot be read."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return pd.read_parquet(path)
    return pd.read_csv(path)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write `frame` at `path` in the format its suffix names, without the index (as `read_table` reads)."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
