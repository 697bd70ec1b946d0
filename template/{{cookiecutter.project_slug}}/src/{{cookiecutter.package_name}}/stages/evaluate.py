"""Stage `evaluate`: score the trained model on the held-out test set.

Writes the metrics DVC compares across experiments (`dvc metrics diff`) and the data behind its plots
(`dvc plots show`): a confusion matrix and a ROC curve. The metrics are also added to the training run in
MLflow.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)
from sklearn.pipeline import Pipeline

from ..config import load_section
from ..features import FEATURES, TARGET
from ..schemas import ProcessedCustomers
from ..tracking import start_tracking

TEST_DATA = Path("data/processed/test.csv")
MODEL_DIR = Path("models/model")
RUN_FILE = Path("models/run.json")
METRICS_FILE = Path("reports/metrics.json")
CONFUSION_FILE = Path("reports/plots/confusion.csv")
ROC_FILE = Path("reports/plots/roc.csv")


@dataclass(frozen=True)
class EvaluateParams:
    threshold: float


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    confusion: pd.DataFrame  # one row per test customer: actual, predicted
    roc: pd.DataFrame  # fpr, tpr, threshold


def classification_metrics(actual: Any, probability: Any, predicted: Any) -> dict[str, float]:
    """The contract's metrics of churn predictions: `predicted` decisions and their `probability`.

    The evaluate stage and the promotion gate score a model with it; prediction-quality monitoring scores
    logged predictions once their labels arrive, so all three compare the same numbers with the contract.
    """
    metrics = {
        "accuracy": accuracy_score(actual, predicted),
        "precision": precision_score(actual, predicted, zero_division=0),
        "recall": recall_score(actual, predicted, zero_division=0),
        "f1": f1_score(actual, predicted, zero_division=0),
        "roc_auc": roc_auc_score(actual, probability),
    }
    return {name: round(float(value), 4) for name, value in metrics.items()}


def run(model: Pipeline, test: pd.DataFrame, params: EvaluateParams) -> Evaluation:
    """Score `model` on `test`, calling churn above `params.threshold`."""
    frame = ProcessedCustomers.validate(test)
    actual = frame[TARGET].to_numpy()
    probability = model.predict_proba(frame[list(FEATURES)])[:, 1]
    predicted = (probability >= params.threshold).astype(int)
    fpr, tpr, thresholds = roc_curve(actual, probability)
    return Evaluation(
        metrics=classification_metrics(actual, probability, predicted),
        confusion=pd.DataFrame({"actual": actual, "predicted": predicted}),
        roc=pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": np.clip(thresholds, 0.0, 1.0)}),
    )


def write_reports(evaluation: Evaluation) -> None:
    METRICS_FILE.parent.mkdir(parents=True, exist_ok=True)
    METRICS_FILE.write_text(json.dumps(evaluation.metrics, indent=2) + "\n", encoding="utf-8")
    CONFUSION_FILE.parent.mkdir(parents=True, exist_ok=True)
    evaluation.confusion.to_csv(CONFUSION_FILE, index=False)
    evaluation.roc.to_csv(ROC_FILE, index=False, float_format="%.6f")


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description="Score the model on the held-out test set.")
    parser.add_argument("--test-data", type=Path, default=TEST_DATA, help="the test frame (CSV)")
    args = parser.parse_args(argv)
    params = load_section("evaluate", EvaluateParams)
    model = mlflow.sklearn.load_model(str(MODEL_DIR))
    evaluation = run(model, pd.read_csv(args.test_data), params)
    write_reports(evaluation)
    start_tracking()
    run_id = json.loads(RUN_FILE.read_text(encoding="utf-8"))["run_id"]
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"test_{name}": value for name, value in evaluation.metrics.items()})
    summary = ", ".join(f"{name} {value:.3f}" for name, value in evaluation.metrics.items())
    print(f"evaluate: {summary}")


if __name__ == "__main__":
    main(sys.argv[1:])
