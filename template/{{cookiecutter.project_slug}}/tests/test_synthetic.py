"""Rows drawn from the schema: valid, reproducible, and with a target a model can learn but that ignores the
columns it is told to."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }} import synthetic
from {{ cookiecutter.package_name }}.features import CATEGORICAL_FEATURES, CLASSES, TARGET, TASK
from {{ cookiecutter.package_name }}.schemas import SCHEMAS


def test_the_same_seed_gives_the_same_rows() -> None:
    pd.testing.assert_frame_equal(synthetic.frame(300, seed=1), synthetic.frame(300, seed=1))
    assert not synthetic.frame(300, seed=1).equals(synthetic.frame(300, seed=2))


def test_nullable_columns_get_missing_values_and_the_others_none() -> None:
    rows = synthetic.frame(2000, seed=1)
    for name, column in SCHEMAS["raw"].to_schema().columns.items():
        assert rows[name].isna().any() == column.nullable, name


@pytest.mark.skipif(not CATEGORICAL_FEATURES, reason="the feature spec has no categorical feature")
def test_an_ignored_column_plays_no_part_in_the_target() -> None:
    name = CATEGORICAL_FEATURES[0]
    column = SCHEMAS["raw"].to_schema().columns[TARGET]
    features = synthetic.frame(500, seed=1).drop(columns=[TARGET])
    shuffled = features.assign(**{name: features[name].sample(frac=1.0, random_state=0).to_numpy()})

    def target(rows: pd.DataFrame, ignore: set[str]) -> pd.Series:
        return synthetic.target(rows, column, np.random.default_rng(0), ignore=ignore)

    pd.testing.assert_series_equal(target(shuffled, {name}), target(features, {name}))
    assert not target(shuffled, set()).equals(target(features, set()))  # not ignored, it counts


@pytest.mark.skipif(TASK == "regression", reason="a regression target has no classes")
def test_every_class_occurs() -> None:
    assert set(synthetic.frame(2000, seed=1)[TARGET]) == set(CLASSES)
