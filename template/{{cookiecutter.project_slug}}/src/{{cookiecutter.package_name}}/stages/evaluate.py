"""Stage `evaluate`: score the trained model on the held-out test set.

Writes the metrics DVC compares across experiments (`dvc metrics diff`) and the data behind its plots
(`dvc plots show`): a confusion matrix and a ROC curve for classifiers, predicted against actual values and
the residuals for regression (task.py says which). The metrics are also added to the training run in MLflow.
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
import pandas as pd

from .. import task
from ..errors import reports_errors
from ..features import TARGET
from ..metrics import score
from ..paths import METRICS_FILE, MODEL_DIR, PLOTS_DIR, RUN_FILE, TEST_SPLIT
from ..schemas import SCHEMAS
from ..tracking import start_tracking


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    plots: dict[str, pd.DataFrame]  # file name (without .csv) -> the data of that plot


def run(model: Any, test: pd.DataFrame) -> Evaluation:
    """Score `model` on `test`."""
    frame = SCHEMAS["processed"].validate(test)
    actual = frame[TARGET].to_numpy()
    predictions = task.predict(model, frame)
    return Evaluation(metrics=score(actual, predictions), plots=task.plots(actual, predictions))


def write_reports(
    evaluation: Evaluation, metrics_file: Path = METRICS_FILE, plots_dir: Path = PLOTS_DIR
) -> None:
    metrics_file.parent.mkdir(parents=True, exist_ok=True)
    metrics_file.write_text(json.dumps(evaluation.metrics, indent=2) + "\n", encoding="utf-8")
    plots_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in evaluation.plots.items():
        frame.to_csv(plots_dir / f"{name}.csv", index=False, float_format="%.6g")


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the model on the held-out test set.")
    parser.add_argument("--test-data", type=Path, default=TEST_SPLIT, help="the test frame (CSV)")
    args = parser.parse_args(argv)
    model = mlflow.sklearn.load_model(str(MODEL_DIR))
    evaluation = run(model, pd.read_csv(args.test_data))
    write_reports(evaluation)
    start_tracking()
    run_id = json.loads(RUN_FILE.read_text(encoding="utf-8"))["run_id"]
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metrics({f"test_{name}": value for name, value in evaluation.metrics.items()})
    summary = ", ".join(f"{name} {value:.3f}" for name, value in evaluation.metrics.items())
    print(f"evaluate: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
