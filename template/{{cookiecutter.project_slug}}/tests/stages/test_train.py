"""train fits the model for the task, saves it without pickle for DVC, and records the run in MLflow."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import mlflow
import mlflow.models
import mlflow.sklearn
import numpy as np
import pytest

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.config import load_section
from {{ cookiecutter.package_name }}.features import (
    CATEGORICAL_FEATURES,
    CATEGORIES,
    CLASSES,
    FEATURES,
    TASK,
)
from {{ cookiecutter.package_name }}.paths import MODEL_DIR, RUN_FILE, TRAIN_SPLIT
from {{ cookiecutter.package_name }}.stages import prepare, train
from {{ cookiecutter.package_name }}.tracking import MODEL_NAME


def test_the_model_predicts_what_the_task_asks(model: Any, split: prepare.Split) -> None:
    predictions = task.predict(model, split.test)
    assert len(predictions.predicted) == len(split.test)
    if TASK == "regression":
        assert np.isfinite(predictions.predicted.astype(float)).all()
        return
    assert set(predictions.predicted) <= set(CLASSES)
    assert predictions.probabilities is not None
    assert predictions.probabilities.shape == (len(split.test), len(CLASSES))
    np.testing.assert_allclose(predictions.probabilities.sum(axis=1), 1.0)


@pytest.mark.skipif(TASK != "binary", reason="only a binary model decides by a threshold")
def test_the_threshold_of_params_yaml_is_part_of_the_model(split: prepare.Split, quick_params: Any) -> None:
    never = train.run(split.train, replace(quick_params, threshold=1.01))  # no probability reaches it
    assert (task.predict(never, split.test).predicted == CLASSES[0]).all()
    assert never.threshold == 1.01


@pytest.mark.skipif(not CATEGORICAL_FEATURES, reason="the feature spec has no categorical feature")
def test_unknown_and_missing_categories_at_prediction_time_do_not_crash(
    model: Any, split: prepare.Split
) -> None:
    name = CATEGORICAL_FEATURES[0]
    unseen = split.test.head(3).astype({name: object})
    unseen.loc[0, name] = f"never-seen-{CATEGORIES[name][0]}"
    unseen.loc[1, name] = np.nan
    assert len(task.predict(model, unseen).predicted) == 3


def test_same_seed_same_model(split: prepare.Split, quick_params: Any) -> None:
    first = task.predict(train.run(split.train, quick_params), split.test)
    second = task.predict(train.run(split.train, quick_params), split.test)
    np.testing.assert_array_equal(first.predicted, second.predicted)


def test_main_saves_the_model_and_logs_the_run(workdir: Path, split: prepare.Split) -> None:
    TRAIN_SPLIT.parent.mkdir(parents=True)
    split.train.to_csv(TRAIN_SPLIT, index=False)

    assert train.main([]) == 0

    saved = mlflow.sklearn.load_model(str(MODEL_DIR))
    assert len(task.predict(saved, split.test.head(5)).predicted) == 5
    assert "skops" in (MODEL_DIR / "MLmodel").read_text()
    metadata = mlflow.models.Model.load(str(MODEL_DIR)).metadata
    assert (metadata["task"], metadata["features"]) == (TASK, list(FEATURES))
    record = json.loads(RUN_FILE.read_text())
    run = mlflow.get_run(record["run_id"])
    params = load_section("train", train.TrainParams)
    assert run.data.params["train.max_iter"] == str(params.max_iter)
    logged = mlflow.get_logged_model(record["model_uri"].removeprefix("models:/"))
    assert (logged.name, logged.source_run_id) == (MODEL_NAME, record["run_id"])
    reloaded = mlflow.sklearn.load_model(record["model_uri"])
    assert len(task.predict(reloaded, split.test.head(1)).predicted) == 1


def test_models_are_saved_without_pickle(tmp_path: Path, model: Any) -> None:
    train.save_model(model, tmp_path / "model")
    files = {path.name for path in (tmp_path / "model").iterdir()}
    assert "model.skops" in files
    assert not any(name.endswith((".pkl", ".pickle")) for name in files)


def test_types_nobody_declared_trusted_are_refused(tmp_path: Path, model: Any) -> None:
    with pytest.raises(Exception, match="TreePredictor"):
        mlflow.sklearn.save_model(
            model, tmp_path / "model", serialization_format="skops", skops_trusted_types=[]
        )
