"""The task's answers: what the API returns for each row, and the same predictions read back from the log."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import TypeAdapter

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.features import CLASSES, TASK
from {{ cookiecutter.package_name }}.stages import prepare


def test_each_answer_is_the_tasks_prediction(model: Any, split: prepare.Split) -> None:
    predictions = task.predict(model, split.test.head(20))
    answers = task.outputs(predictions)
    assert len(answers) == 20
    TypeAdapter(list[task.Prediction]).validate_python(answers)  # the API's documented answer
    expected = {
        "binary": {"prediction", "probability"},
        "multiclass": {"prediction", "probabilities"},
        "regression": {"prediction"},
    }
    assert all(set(answer) == expected[TASK] for answer in answers)
    if TASK == "multiclass":
        assert all(list(answer["probabilities"]) == [str(label) for label in CLASSES] for answer in answers)


def test_logged_answers_read_back_as_the_same_predictions(model: Any, split: prepare.Split) -> None:
    predictions = task.predict(model, split.test.head(50))
    again = task.from_outputs(task.outputs(predictions))
    if TASK == "regression":
        np.testing.assert_allclose(again.predicted, predictions.predicted.astype(float), atol=1e-6)
        return
    np.testing.assert_array_equal(again.predicted, predictions.predicted)
    if predictions.probabilities is not None:
        assert again.probabilities is not None
        for label in CLASSES:
            np.testing.assert_allclose(
                again.probability_of(label), predictions.probability_of(label), atol=1e-6
            )
