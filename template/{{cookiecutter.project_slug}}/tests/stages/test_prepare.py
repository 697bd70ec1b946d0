"""prepare validates the raw table and holds out a test set, stratified for classifiers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandera.errors import SchemaError, SchemaErrors

from {{ cookiecutter.package_name }} import synthetic
from {{ cookiecutter.package_name }}.config import load_section
from {{ cookiecutter.package_name }}.features import FEATURES, TARGET, TASK
from {{ cookiecutter.package_name }}.frames import write_table
from {{ cookiecutter.package_name }}.paths import RAW_DATA, TEST_SPLIT, TRAIN_SPLIT
from {{ cookiecutter.package_name }}.stages import prepare

PARAMS = prepare.PrepareParams(test_size=0.25, seed=0)


def test_the_split_keeps_every_row_once_and_drops_the_id(raw_frame: pd.DataFrame) -> None:
    split = prepare.run(raw_frame, PARAMS)
    assert len(split.train) + len(split.test) == len(raw_frame)
    assert len(split.test) == round(len(raw_frame) * PARAMS.test_size)
    assert set(split.train.columns) == set(split.test.columns) == {*FEATURES, TARGET}  # no id
    together = pd.concat([split.train, split.test]).sort_values([*FEATURES, TARGET]).reset_index(drop=True)
    expected = raw_frame[list(split.train.columns)].sort_values([*FEATURES, TARGET]).reset_index(drop=True)
    pd.testing.assert_frame_equal(together, expected, check_dtype=False)


@pytest.mark.skipif(TASK == "regression", reason="a regression target has no classes to stratify by")
def test_each_class_keeps_its_share_in_both_parts(raw_frame: pd.DataFrame) -> None:
    split = prepare.run(raw_frame, PARAMS)
    train_shares = split.train[TARGET].value_counts(normalize=True)
    test_shares = split.test[TARGET].value_counts(normalize=True)
    pd.testing.assert_series_equal(
        train_shares, test_shares.reindex(train_shares.index), atol=0.01, check_names=False
    )


@pytest.mark.parametrize("name", FEATURES)
def test_an_invalid_value_stops_the_stage_naming_its_column(raw_rows: pd.DataFrame, name: str) -> None:
    breaking = synthetic.breaking_values(name)[0]
    bad = raw_rows.astype({name: object})
    bad.loc[3, name] = breaking.value
    with pytest.raises((SchemaError, SchemaErrors), match=name):
        prepare.run(bad, PARAMS)


def test_main_writes_both_splits_sized_by_params_yaml(workdir: Path, raw_frame: pd.DataFrame) -> None:
    RAW_DATA.parent.mkdir(parents=True)
    write_table(raw_frame, RAW_DATA)  # in the raw data's own format

    assert prepare.main([]) == 0

    rows = len(raw_frame)
    test_size = load_section("prepare", prepare.PrepareParams).test_size
    train, test = pd.read_csv(TRAIN_SPLIT), pd.read_csv(TEST_SPLIT)
    assert len(train) + len(test) == rows
    assert abs(len(test) - rows * test_size) <= 1


def test_main_names_a_missing_key_of_params_yaml(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("params.yaml").write_text("prepare:\n  seed: 1\n")
    assert prepare.main([]) == 2
    assert "missing key 'prepare.test_size'" in capsys.readouterr().err
