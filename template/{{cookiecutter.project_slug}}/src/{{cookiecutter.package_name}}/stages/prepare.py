"""Stage `prepare`: validate the raw extract and hold out a stratified test set.

Validation happens here, at the edge of the pipeline, so every later stage can trust its input.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

from ..config import load_section
from ..features import ID_COLUMN, TARGET
from ..schemas import ProcessedCustomers, ProcessedFrame, RawCustomers

RAW_DATA = Path("data/raw/churn.csv")
TRAIN_DATA = Path("data/processed/train.csv")
TEST_DATA = Path("data/processed/test.csv")


@dataclass(frozen=True)
class PrepareParams:
    test_size: float
    seed: int


@dataclass(frozen=True)
class Split:
    train: ProcessedFrame
    test: ProcessedFrame


def run(raw: pd.DataFrame, params: PrepareParams) -> Split:
    """Validate `raw`, drop the id, and split it keeping the churn rate equal in both parts."""
    customers = RawCustomers.validate(raw).drop(columns=[ID_COLUMN])
    train, test = train_test_split(
        customers,
        test_size=params.test_size,
        random_state=params.seed,
        stratify=customers[TARGET],
    )
    return Split(
        train=ProcessedCustomers.validate(train.reset_index(drop=True)),
        test=ProcessedCustomers.validate(test.reset_index(drop=True)),
    )


def main() -> None:
    params = load_section("prepare", PrepareParams)
    split = run(pd.read_csv(RAW_DATA), params)
    TRAIN_DATA.parent.mkdir(parents=True, exist_ok=True)
    split.train.to_csv(TRAIN_DATA, index=False)
    split.test.to_csv(TEST_DATA, index=False)
    print(f"prepare: {len(split.train)} training and {len(split.test)} test rows")


if __name__ == "__main__":
    main()
