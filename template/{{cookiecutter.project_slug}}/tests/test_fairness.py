"""Group parity, by task: 1.0 when the groups are treated alike, low when one group is not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.fairness import MEASURES, parity
from {{ cookiecutter.package_name }}.features import CLASSES, TASK

ROWS = 400
GROUPS = pd.Series(np.where(np.arange(ROWS) % 2 == 0, "a", "b"), name="group")


def predictions(favoured: np.ndarray) -> tuple[np.ndarray, task.Predictions]:
    """Truth and predictions where the rows in `favoured` get the favourable outcome (or a perfect one)."""
    if TASK == "regression":
        actual = np.linspace(0.0, 100.0, ROWS)
        predicted = np.where(favoured, actual, actual + 50.0)  # others are predicted badly
        return actual, task.Predictions(predicted)
    labels = np.asarray([CLASSES[-1] if chosen else CLASSES[0] for chosen in favoured], dtype=object)
    probabilities = np.array([[float(value == label) for label in CLASSES] for value in labels])
    return labels, task.Predictions(labels, probabilities, tuple(CLASSES))


def test_groups_treated_alike_have_a_ratio_of_one() -> None:
    actual, predicted = predictions(np.arange(ROWS) % 4 < 2)  # the same share in both groups
    result = parity(actual, predicted, GROUPS)
    assert result.ratio == 1.0 and set(result.by_group) == {"a", "b"}
    assert result.measure == MEASURES[TASK]


def test_one_group_treated_worse_has_a_low_ratio() -> None:
    favoured = (GROUPS == "a").to_numpy() | (np.arange(ROWS) % 10 == 1)
    actual, predicted = predictions(favoured)
    assert parity(actual, predicted, GROUPS).ratio < 0.5


def test_missing_group_values_are_a_group_of_their_own() -> None:
    actual, predicted = predictions(np.arange(ROWS) % 4 < 2)
    groups = GROUPS.where(np.arange(ROWS) % 5 != 0)
    assert "(missing)" in parity(actual, predicted, groups).by_group
