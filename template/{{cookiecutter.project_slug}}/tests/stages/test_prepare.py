"""prepare validates the raw extract and holds out a stratified test set."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandera.errors import SchemaError

from {{ cookiecutter.package_name }}.features import ID_COLUMN, TARGET
from {{ cookiecutter.package_name }}.stages import prepare


def test_split_keeps_every_customer_once_and_drops_the_id(
    raw_customers: pd.DataFrame, split: prepare.Split
) -> None:
    assert len(split.train) + len(split.test) == len(raw_customers)
    assert len(split.test) == 500
    assert ID_COLUMN not in split.train.columns


def test_split_is_stratified(split: prepare.Split) -> None:
    assert split.train[TARGET].mean() == pytest.approx(split.test[TARGET].mean(), abs=0.01)


def test_invalid_raw_data_stops_the_stage(raw_customers: pd.DataFrame) -> None:
    with pytest.raises(SchemaError, match="contract"):
        prepare.run(raw_customers.assign(contract="weekly"), prepare.PrepareParams(0.2, 0))


def test_main_writes_train_and_test_files(workdir: Path, sample_csv: Path) -> None:
    (workdir / "data/raw").mkdir(parents=True)
    (workdir / prepare.RAW_DATA).write_bytes(sample_csv.read_bytes())

    prepare.main()

    train, test = pd.read_csv(prepare.TRAIN_DATA), pd.read_csv(prepare.TEST_DATA)
    assert (len(train), len(test)) == (1600, 400)  # params.yaml: test_size 0.2
