"""evaluate scores the model on the test set and writes metrics and plot data for DVC."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.stages import evaluate, prepare, train

SMALL = train.TrainParams(n_estimators=30, max_depth=6, min_samples_leaf=2, seed=0)


@pytest.fixture
def model(split: prepare.Split) -> Pipeline:
    return train.run(split.train, SMALL)


def test_metrics_are_probabilities_and_beat_chance(model: Pipeline, split: prepare.Split) -> None:
    result = evaluate.run(model, split.test, evaluate.EvaluateParams(threshold=0.5))
    assert set(result.metrics) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert all(0.0 <= value <= 1.0 for value in result.metrics.values())
    assert result.metrics["roc_auc"] > 0.7


def test_threshold_decides_the_predicted_class(model: Pipeline, split: prepare.Split) -> None:
    cautious = evaluate.run(model, split.test, evaluate.EvaluateParams(threshold=1.01))
    assert cautious.metrics["recall"] == 0.0
    assert (cautious.confusion["predicted"] == 0).all()


def test_plot_data_has_one_row_per_customer_and_a_full_roc_curve(
    model: Pipeline, split: prepare.Split
) -> None:
    result = evaluate.run(model, split.test, evaluate.EvaluateParams(threshold=0.5))
    assert len(result.confusion) == len(split.test)
    assert result.roc["fpr"].is_monotonic_increasing
    assert (result.roc["fpr"].iloc[[0, -1]].tolist(), result.roc["tpr"].iloc[-1]) == ([0.0, 1.0], 1.0)


def test_main_writes_reports_and_adds_metrics_to_the_training_run(
    workdir: Path, split: prepare.Split
) -> None:
    train.TRAIN_DATA.parent.mkdir(parents=True)
    split.train.to_csv(train.TRAIN_DATA, index=False)
    split.test.to_csv(evaluate.TEST_DATA, index=False)
    train.main()

    evaluate.main()

    metrics = json.loads(evaluate.METRICS_FILE.read_text())
    assert set(pd.read_csv(evaluate.CONFUSION_FILE).columns) == {"actual", "predicted"}
    assert set(pd.read_csv(evaluate.ROC_FILE).columns) == {"fpr", "tpr", "threshold"}
    run_id = json.loads(train.RUN_FILE.read_text())["run_id"]
    assert mlflow.get_run(run_id).data.metrics["test_roc_auc"] == metrics["roc_auc"]
