"""The task, in one place: how the model predicts, what a prediction looks like in the API, and its plots.

`TASK` comes from the feature spec: `binary` (the positive class's probability and the class it decides,
by the threshold recorded with the model), `multiclass` (each class's probability and the likeliest class)
or `regression` (a number). evaluate, the promotion gate, the service, the latency check and the quality
monitor call `predict`; `outputs` is what the API answers and the inference log records; `from_outputs`
reads it back. Metrics are in metrics.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, create_model
from sklearn.metrics import roc_curve
from sklearn.preprocessing import label_binarize
from threadpoolctl import threadpool_limits

from .features import CLASSES, FEATURES, TASK

POSITIVE_CLASS = CLASSES[-1] if TASK == "binary" else None
DECIMALS = 6  # of probabilities and values in answers and logs


@dataclass(frozen=True)
class Predictions:
    """A model's predictions for some rows: what it predicts, and for classes how likely each one is."""

    predicted: np.ndarray  # a class per row, or a value per row (regression)
    probabilities: np.ndarray | None = None  # classification: rows x classes, in `classes` order
    classes: tuple[Any, ...] = ()  # sorted, as scikit-learn's `classes_`: its metrics expect that order

    def probability_of(self, label: Any) -> np.ndarray:
        assert self.probabilities is not None, "a regression model gives no probabilities"
        return self.probabilities[:, self.classes.index(label)]


def predict(model: Any, frame: pd.DataFrame) -> Predictions:
    """The predictions of `model` (a scikit-learn estimator) for the feature columns of `frame`."""
    features = frame[list(FEATURES)]
    if TASK == "regression":
        return Predictions(np.asarray(model.predict(features), dtype=float))
    probabilities = np.asarray(model.predict_proba(features), dtype=float)
    classes = tuple(np.asarray(model.classes_).tolist())
    if TASK == "binary":
        threshold = float(getattr(model, "threshold", 0.5))  # FixedThresholdClassifier carries it
        negative = next(label for label in classes if label != POSITIVE_CLASS)
        positive = probabilities[:, classes.index(POSITIVE_CLASS)] >= threshold
        predicted = np.where(positive, POSITIVE_CLASS, negative)
    else:
        predicted = np.asarray(classes, dtype=object)[probabilities.argmax(axis=1)]
    return Predictions(np.asarray(predicted.tolist(), dtype=object), probabilities, classes)


def predict_on_one_thread() -> None:
    """Make the calling thread's predictions use one OpenMP thread (the trees' default: one per core).

    For one row, threads cost more than they save, and on a busy machine they wait for each other: the p99
    of a one-row prediction went from 1,258 ms to 26 ms on a loaded 2-core machine. The limit holds per
    thread, so the service sets it in each thread that predicts; training keeps every core.
    """
    threadpool_limits(1, user_api="openmp")


def outputs(predictions: Predictions) -> list[dict[str, Any]]:
    """One answer per row, as the API returns it and the inference log records it."""
    predicted = predictions.predicted.tolist()
    if TASK == "regression":
        return [{"prediction": round(float(value), DECIMALS)} for value in predicted]
    if TASK == "binary":
        positive = predictions.probability_of(POSITIVE_CLASS).tolist()
        return [
            {"prediction": label, "probability": round(p, DECIMALS)}
            for label, p in zip(predicted, positive, strict=True)
        ]
    assert predictions.probabilities is not None
    order = [predictions.classes.index(label) for label in CLASSES]  # the feature spec's order
    names = [str(label) for label in CLASSES]
    return [
        {
            "prediction": label,
            "probabilities": dict(zip(names, np.round(row, DECIMALS).tolist(), strict=True)),
        }
        for label, row in zip(predicted, predictions.probabilities[:, order], strict=True)
    ]


def from_outputs(records: Sequence[dict[str, Any]]) -> Predictions:
    """`Predictions` back from logged answers (the quality monitor scores them once labels arrive)."""
    predicted = np.asarray([record["prediction"] for record in records], dtype=object)
    if TASK == "regression":
        return Predictions(predicted.astype(float))
    if TASK == "binary":
        positive = np.asarray([record["probability"] for record in records], dtype=float)
        negative = next(label for label in CLASSES if label != POSITIVE_CLASS)
        return Predictions(predicted, np.column_stack([1 - positive, positive]), (negative, POSITIVE_CLASS))
    classes = tuple(sorted(CLASSES))  # the order scikit-learn keeps its classes in
    probabilities = np.asarray(
        [[record["probabilities"][str(label)] for label in classes] for record in records]
    )
    return Predictions(predicted, probabilities, classes)


Label = Literal[CLASSES] if CLASSES else float  # type: ignore[valid-type]
_OUTPUT_FIELDS: dict[str, dict[str, Any]] = {
    "binary": {"prediction": (Label, ...), "probability": (float, ...)},
    "multiclass": {"prediction": (Label, ...), "probabilities": (dict[str, float], ...)},
    "regression": {"prediction": (float, ...)},
}
# The answer for one row, for the API's schema: `probability` is the positive class's (binary),
# `probabilities` maps each class to its probability (multiclass).
Prediction: type[BaseModel] = create_model("Prediction", **_OUTPUT_FIELDS[TASK])


def plots(actual: np.ndarray, predictions: Predictions) -> dict[str, pd.DataFrame]:
    """The data behind dvc.yaml's plots, by file name (without .csv)."""
    if TASK == "regression":
        predicted = predictions.predicted.astype(float)
        return {
            "predicted_vs_actual": pd.DataFrame({"actual": actual, "predicted": predicted}),
            "residuals": pd.DataFrame({"predicted": predicted, "residual": actual - predicted}),
        }
    confusion = pd.DataFrame({"actual": actual, "predicted": predictions.predicted})
    return {"confusion": confusion, "roc": roc(actual, predictions)}


def roc(actual: np.ndarray, predictions: Predictions) -> pd.DataFrame:
    """The ROC curve: of the positive class (binary), or micro-averaged over the classes (multiclass)."""
    assert predictions.probabilities is not None
    if TASK == "binary":
        truth, scores = actual == POSITIVE_CLASS, predictions.probability_of(POSITIVE_CLASS)
    else:
        truth = label_binarize(actual, classes=list(predictions.classes)).ravel()
        scores = predictions.probabilities.ravel()
    fpr, tpr, thresholds = roc_curve(truth, scores)
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.clip(thresholds, 0.0, 1.0)})
