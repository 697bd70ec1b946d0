"""The metrics of each task, each with the direction that makes one model better than another.

evaluate, the promotion gate and the quality monitor score predictions here, so the numbers DVC tracks, the
numbers the gate holds to the contract and the numbers the monitor recomputes on labelled traffic are the
same. model_contract.schema.json lists the same names per task (a test compares them).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn import metrics as sk

from .errors import ProjectError
from .features import TASK
from .task import POSITIVE_CLASS, Predictions

Compute = Callable[[np.ndarray, Predictions], float]


class MetricUndefined(ProjectError):
    """The metric cannot be computed on these labels (ROC AUC with one class present, say)."""


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    compute: Compute

    def bar(self, reference: float, margin: float = 0.0) -> float:
        """The value to beat: `reference` moved by the relative `margin` in the better direction."""
        step = abs(reference) * margin
        return reference + step if self.higher_is_better else reference - step

    def improves(self, value: float, reference: float, margin: float = 0.0) -> bool:
        """Strictly better than `reference`, by the relative `margin` at least (0.01: 1% better)."""
        bar = self.bar(reference, margin)
        return value > bar if self.higher_is_better else value < bar


def _labels(compute: Callable[..., float], **options: object) -> Compute:
    return lambda actual, predictions: compute(actual, predictions.predicted.tolist(), **options)


def _roc_auc(actual: np.ndarray, predictions: Predictions) -> float:
    if TASK == "binary":
        return sk.roc_auc_score(actual == POSITIVE_CLASS, predictions.probability_of(POSITIVE_CLASS))
    return sk.roc_auc_score(
        actual, predictions.probabilities, multi_class="ovr", labels=list(predictions.classes)
    )


def _log_loss(actual: np.ndarray, predictions: Predictions) -> float:
    return sk.log_loss(actual, predictions.probabilities, labels=list(predictions.classes))


def _values(compute: Callable[[np.ndarray, np.ndarray], float]) -> Compute:
    return lambda actual, predictions: compute(actual.astype(float), predictions.predicted.astype(float))


BINARY = (
    Metric("accuracy", True, _labels(sk.accuracy_score)),
    Metric("precision", True, _labels(sk.precision_score, pos_label=POSITIVE_CLASS, zero_division=0)),
    Metric("recall", True, _labels(sk.recall_score, pos_label=POSITIVE_CLASS, zero_division=0)),
    Metric("f1", True, _labels(sk.f1_score, pos_label=POSITIVE_CLASS, zero_division=0)),
    Metric("roc_auc", True, _roc_auc),
    Metric("log_loss", False, _log_loss),
)
MULTICLASS = (
    Metric("accuracy", True, _labels(sk.accuracy_score)),
    Metric("f1_macro", True, _labels(sk.f1_score, average="macro", zero_division=0)),
    Metric("f1_weighted", True, _labels(sk.f1_score, average="weighted", zero_division=0)),
    Metric("roc_auc", True, _roc_auc),  # one class against the rest, averaged over the classes
    Metric("log_loss", False, _log_loss),
)
REGRESSION = (
    Metric("rmse", False, _values(sk.root_mean_squared_error)),
    Metric("mae", False, _values(sk.mean_absolute_error)),
    Metric("r2", True, _values(sk.r2_score)),
)
BY_TASK: dict[str, dict[str, Metric]] = {
    task: {metric.name: metric for metric in metrics}
    for task, metrics in (("binary", BINARY), ("multiclass", MULTICLASS), ("regression", REGRESSION))
}
METRICS = BY_TASK[TASK]  # this project's


def score(actual: np.ndarray, predictions: Predictions) -> dict[str, float]:
    """Every metric of the task, rounded to 4 decimals; one that is not defined on `actual` is an error."""
    return {name: score_one(name, actual, predictions) for name in METRICS}


def score_one(name: str, actual: np.ndarray, predictions: Predictions) -> float:
    """The metric `name`, rounded to 4 decimals; not defined on `actual`, it is an error."""
    with warnings.catch_warnings(record=True) as caught:  # scikit-learn warns and returns NaN
        warnings.simplefilter("always")
        try:
            value = float(METRICS[name].compute(actual, predictions))
        except ValueError as error:
            raise MetricUndefined(f"{name} cannot be computed on these labels: {error}") from None
    if not math.isfinite(value):
        reason = str(caught[-1].message).strip() if caught else "it is not a number"
        raise MetricUndefined(f"{name} cannot be computed on these labels: {reason}")
    return round(value, 4)
