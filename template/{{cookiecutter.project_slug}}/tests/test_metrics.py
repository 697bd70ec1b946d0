"""The task's metrics: each computed the way scikit-learn defines it, each with its direction."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.features import TARGET
from {{ cookiecutter.package_name }}.metrics import METRICS, Metric, MetricUndefined, score
from {{ cookiecutter.package_name }}.stages import prepare


def test_perfect_predictions_score_the_best_value_of_each_metric(split: prepare.Split) -> None:
    actual = split.test[TARGET].to_numpy()
    if task.TASK == "regression":
        perfect = task.Predictions(actual.astype(float))
    else:
        classes = tuple(sorted(set(actual.tolist())))
        onehot = np.array([[float(value == label) for label in classes] for value in actual])
        perfect = task.Predictions(np.asarray(actual.tolist(), dtype=object), onehot, classes)
    best = {"accuracy": 1.0, "precision": 1.0, "recall": 1.0, "f1": 1.0, "f1_macro": 1.0, "f1_weighted": 1.0}
    best |= {"roc_auc": 1.0, "log_loss": 0.0, "rmse": 0.0, "mae": 0.0, "r2": 1.0}
    scores = score(actual, perfect)
    assert scores == pytest.approx({name: best[name] for name in METRICS}, abs=1e-4)


@pytest.mark.parametrize(
    ("higher", "value", "reference", "margin", "better"),
    [
        (True, 0.81, 0.80, 0.0, True),
        (True, 0.80, 0.80, 0.0, False),  # strictly better, not equal
        (True, 0.81, 0.80, 0.05, False),  # not 5% better
        (False, 90.0, 100.0, 0.05, True),  # lower is better: 10% lower
        (False, 99.0, 100.0, 0.05, False),
        (False, 101.0, 100.0, 0.0, False),
        (True, -0.5, -1.0, 0.1, True),  # a negative r2 improving
    ],
)
def test_improvement_follows_the_metrics_direction(
    higher: bool, value: float, reference: float, margin: float, better: bool
) -> None:
    metric = Metric("m", higher, lambda actual, predictions: 0.0)
    assert metric.improves(value, reference, margin) is better


def test_an_undefined_metric_is_a_clear_error(model: Any, split: prepare.Split) -> None:
    if task.TASK == "regression":
        pytest.skip("every regression metric is defined on any labels")
    one_class = split.test[split.test[TARGET] == split.test[TARGET].iloc[0]]
    with pytest.raises(MetricUndefined, match="cannot be computed on these labels"):
        score(one_class[TARGET].to_numpy(), task.predict(model, one_class))
