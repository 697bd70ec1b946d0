"""Stage `prepare`: validate the raw table and hold out a test set (stratified by class for classifiers).

Validation happens here, at the edge of the pipeline, so every later stage can trust its input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sklearn.model_selection import train_test_split

from ..config import load_section
from ..errors import reports_errors
from ..features import ID_COLUMN, TARGET, TASK
from ..frames import read_table
from ..paths import RAW_DATA, TEST_SPLIT, TRAIN_SPLIT
from ..schemas import SCHEMAS, ProcessedFrame


@dataclass(frozen=True)
class PrepareParams:
    test_size: float
    seed: int


@dataclass(frozen=True)
class Split:
    train: ProcessedFrame
    test: ProcessedFrame


def run(raw: pd.DataFrame, params: PrepareParams) -> Split:
    """Validate `raw`, drop the id, and split it; classes keep their share in both parts."""
    rows = SCHEMAS["raw"].validate(raw)
    if ID_COLUMN is not None:
        rows = rows.drop(columns=[ID_COLUMN])
    train, test = train_test_split(
        rows,
        test_size=params.test_size,
        random_state=params.seed,
        stratify=None if TASK == "regression" else rows[TARGET],
    )
    processed = SCHEMAS["processed"]
    return Split(
        train=processed.validate(train.reset_index(drop=True)),
        test=processed.validate(test.reset_index(drop=True)),
    )


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    params = load_section("prepare", PrepareParams)
    split = run(read_table(RAW_DATA), params)
    TRAIN_SPLIT.parent.mkdir(parents=True, exist_ok=True)
    split.train.to_csv(TRAIN_SPLIT, index=False)
    split.test.to_csv(TEST_SPLIT, index=False)
    print(f"prepare: {len(split.train)} training and {len(split.test)} test rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
