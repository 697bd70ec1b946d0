"""Stage `train`: fit the scikit-learn pipeline and record the run in MLflow.

The model is saved twice on purpose: under `models/model` for DVC (the pipeline's output, versioned with the
data) and in the MLflow run (the record a registry version is made from).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ..config import load_section
from ..features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, TARGET
from ..schemas import ProcessedCustomers
from ..tracking import MODEL_NAME, start_tracking

TRAIN_DATA = Path("data/processed/train.csv")
MODEL_DIR = Path("models/model")
RUN_FILE = Path("models/run.json")

# skops loads only the types named here; anything else in a model file is refused instead of executed.
SKOPS_TRUSTED_TYPES = ["sklearn.tree._tree.Tree"]


@dataclass(frozen=True)
class TrainParams:
    n_estimators: int
    max_depth: int | None
    min_samples_leaf: int
    seed: int


def build_model(params: TrainParams) -> Pipeline:
    """Scale numbers, one-hot encode categories (unknown ones ignored), then a random forest."""
    features = ColumnTransformer(
        [
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL_FEATURES)),
        ]
    )
    forest = RandomForestClassifier(
        n_estimators=params.n_estimators,
        max_depth=params.max_depth,
        min_samples_leaf=params.min_samples_leaf,
        random_state=params.seed,
        n_jobs=-1,
    )
    return Pipeline([("features", features), ("classifier", forest)])


def run(train: pd.DataFrame, params: TrainParams) -> Pipeline:
    """Fit a fresh model on the validated training frame, on every core."""
    frame = ProcessedCustomers.validate(train)
    model = build_model(params).fit(frame[list(FEATURES)], frame[TARGET])
    # Serving predicts one row at a time, which is several times faster on one thread than on a pool.
    return model.set_params(classifier__n_jobs=1)


def pip_requirements() -> list[str]:
    """Pinned requirements written with the model; naming them avoids MLflow's slow inference."""
    return [f"{name}=={version(name)}" for name in ("scikit-learn", "skops", "pandas")]


def input_example(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows for MLflow's model signature; numbers as floats, so rows with a missing value fit it too."""
    return frame[list(FEATURES)].head(3).astype(dict.fromkeys(NUMERIC_FEATURES, "float64"))


def save_model(model: Pipeline, path: Path = MODEL_DIR) -> None:
    """Save as an MLflow model in skops format (no pickle), replacing an older one."""
    shutil.rmtree(path, ignore_errors=True)
    mlflow.sklearn.save_model(
        model,
        path,
        serialization_format="skops",
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        pip_requirements=pip_requirements(),
    )


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description="Fit the model and record the run in MLflow.")
    parser.add_argument("--train-data", type=Path, default=TRAIN_DATA, help="the training frame (CSV)")
    args = parser.parse_args(argv)
    params = load_section("train", TrainParams)
    train = pd.read_csv(args.train_data)
    start_tracking()
    with mlflow.start_run() as active:
        mlflow.log_params({f"train.{key}": value for key, value in asdict(params).items()})
        model = run(train, params)
        with warnings.catch_warnings():
            # MLflow hints that integer columns cannot hold missing values; the only ones left are the
            # predicted labels, which never are missing.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            info = mlflow.sklearn.log_model(
                model,
                name=MODEL_NAME,
                serialization_format="skops",
                skops_trusted_types=SKOPS_TRUSTED_TYPES,
                pip_requirements=pip_requirements(),
                input_example=input_example(train),
            )
    save_model(model)
    run_record = {"run_id": active.info.run_id, "model_uri": info.model_uri}
    RUN_FILE.write_text(json.dumps(run_record, indent=2) + "\n", encoding="utf-8")
    print(f"train: logged run {active.info.run_id} and saved {MODEL_DIR}")


if __name__ == "__main__":
    main(sys.argv[1:])
