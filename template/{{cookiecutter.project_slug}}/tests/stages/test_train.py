"""train fits the pipeline, saves it for DVC and records the run in MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import mlflow.sklearn
import numpy as np
import pytest

from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.stages import prepare, train
from {{ cookiecutter.package_name }}.tracking import MODEL_NAME

SMALL = train.TrainParams(n_estimators=20, max_depth=4, min_samples_leaf=2, seed=0)


def test_model_predicts_probabilities(split: prepare.Split) -> None:
    model = train.run(split.train, SMALL)
    probabilities = model.predict_proba(split.test[list(FEATURES)])
    assert probabilities.shape == (len(split.test), 2)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_unknown_categories_at_prediction_time_do_not_crash(split: prepare.Split) -> None:
    model = train.run(split.train, SMALL)
    unseen = split.test[list(FEATURES)].head(3).assign(payment_method="crypto")
    assert model.predict_proba(unseen).shape == (3, 2)


def test_same_seed_same_model(split: prepare.Split) -> None:
    first = train.run(split.train, SMALL).predict_proba(split.test[list(FEATURES)])
    second = train.run(split.train, SMALL).predict_proba(split.test[list(FEATURES)])
    np.testing.assert_allclose(first, second)  # trees vote in parallel: equal up to float rounding


def test_main_saves_the_model_and_logs_the_run(workdir: Path, split: prepare.Split) -> None:
    train.TRAIN_DATA.parent.mkdir(parents=True)
    split.train.to_csv(train.TRAIN_DATA, index=False)

    train.main()

    saved = mlflow.sklearn.load_model(str(train.MODEL_DIR))
    assert saved.predict_proba(split.test[list(FEATURES)].head(5)).shape == (5, 2)
    assert "skops" in (train.MODEL_DIR / "MLmodel").read_text()
    record = json.loads(train.RUN_FILE.read_text())
    run = mlflow.get_run(record["run_id"])
    assert run.data.params["train.n_estimators"] == "200"
    logged = mlflow.get_logged_model(record["model_uri"].removeprefix("models:/"))
    assert (logged.name, logged.source_run_id) == (MODEL_NAME, record["run_id"])
    reloaded = mlflow.sklearn.load_model(record["model_uri"])
    assert reloaded.predict(split.test[list(FEATURES)].head(1)).shape == (1,)


def test_models_are_saved_without_pickle(tmp_path: Path, split: prepare.Split) -> None:
    train.save_model(train.run(split.train, SMALL), tmp_path / "model")
    files = {path.name for path in (tmp_path / "model").iterdir()}
    assert "model.skops" in files
    assert not any(name.endswith((".pkl", ".pickle")) for name in files)


def test_types_nobody_declared_trusted_are_refused(tmp_path: Path, split: prepare.Split) -> None:
    model = train.run(split.train, SMALL)
    with pytest.raises(Exception, match=r"sklearn\.tree\._tree\.Tree"):
        mlflow.sklearn.save_model(
            model, tmp_path / "model", serialization_format="skops", skops_trusted_types=[]
        )
