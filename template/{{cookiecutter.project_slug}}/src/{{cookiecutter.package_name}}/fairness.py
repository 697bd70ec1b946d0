"""How evenly a model treats the groups of the protected attribute, as one ratio per task (fairlearn).

The ratio is the lowest group's value over the highest group's, so 1.0 is perfect parity and the contract's
`fairness.disparate_impact` range bounds it (the four-fifths rule is 0.8):
- binary: the rate of positive predictions (demographic parity);
- multiclass: the rate at which each class is predicted, per group; the worst class's ratio counts;
- regression: the mean absolute error per group. A regression model's predictions may rightly differ between
  groups whose outcomes differ, so comparing mean predictions would flag an accurate model; comparing errors
  asks whether it serves every group equally well (fairlearn calls this a quality-of-service harm).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate
from sklearn.metrics import mean_absolute_error

from .features import TASK
from .task import POSITIVE_CLASS, Predictions

MISSING_GROUP = "(missing)"
MEASURES = {
    "binary": "positive-prediction rate",
    "multiclass": "prediction rate of the least evenly predicted class",
    "regression": "mean absolute error",
}


@dataclass(frozen=True)
class GroupParity:
    attribute: str
    measure: str  # what was compared across the groups
    ratio: float  # lowest group / highest group
    by_group: dict[str, float]  # the measure of each group (multiclass: for the class that sets the ratio)
    detail: str = ""  # multiclass: which class that is


def parity(actual: np.ndarray, predictions: Predictions, groups: pd.Series) -> GroupParity:
    """Compare the groups of `groups` (one value per row; missing values are a group of their own)."""
    sensitive = groups.astype(object).where(groups.notna(), MISSING_GROUP).astype(str).to_numpy()
    if TASK == "regression":
        frame = MetricFrame(
            metrics=mean_absolute_error,
            y_true=actual.astype(float),
            y_pred=predictions.predicted.astype(float),
            sensitive_features=sensitive,
        )
        return _summary(str(groups.name), frame.by_group, "")
    targets = [POSITIVE_CLASS] if TASK == "binary" else list(predictions.classes)
    results = []
    for label in targets:
        chosen = (predictions.predicted == label).astype(int)
        frame = MetricFrame(
            metrics=selection_rate, y_true=chosen, y_pred=chosen, sensitive_features=sensitive
        )
        results.append(
            _summary(str(groups.name), frame.by_group, "" if TASK == "binary" else f"class {label}")
        )
    return min(results, key=lambda result: result.ratio)


def _summary(attribute: str, by_group: pd.Series, detail: str) -> GroupParity:
    values = {str(group): round(float(value), 4) for group, value in by_group.items()}
    highest = max(values.values())
    ratio = min(values.values()) / highest if highest > 0 else 1.0
    return GroupParity(attribute, MEASURES[TASK], round(ratio, 4), values, detail)
