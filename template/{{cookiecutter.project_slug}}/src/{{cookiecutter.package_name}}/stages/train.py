"""Stage `train`: fit the scikit-learn model and record the run in MLflow.

The model is gradient-boosted trees (scikit-learn's HistGradientBoosting): categories and missing values are
handled natively, and one row is predicted in a few milliseconds, which is what caps serving. A binary model
is wrapped in `FixedThresholdClassifier`, so the decision threshold (params.yaml) is part of the model that is
logged, registered and served, not a second setting. The model is saved twice on purpose: under
`models/model` for DVC (the pipeline's output, versioned with the data) and in the MLflow run (the record a
registry version is made from).
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
from typing import Any

import mlflow
import mlflow.sklearn
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.model_selection import FixedThresholdClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from ..config import load_section
from ..errors import reports_errors
from ..features import CATEGORICAL_FEATURES, CATEGORIES, FEATURES, NUMERIC_FEATURES, TARGET, TASK
from ..paths import MODEL_DIR, RUN_FILE, TRAIN_SPLIT
from ..schemas import SCHEMAS
from ..task import POSITIVE_CLASS
from ..tracking import MODEL_NAME, start_tracking

# skops loads only the types named here; anything else in a model file is refused instead of executed.
SKOPS_TRUSTED_TYPES = [
    "functools.partial",  # of check_array, below: how the boosting model converts its input
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.utils.validation.check_array",
]
PREDICTION_BUCKETS = 10  # regression: the served predictions' histogram, from the training target's deciles


@dataclass(frozen=True)
class TrainParams:
    learning_rate: float
    max_iter: int
    max_leaf_nodes: int | None
    min_samples_leaf: int
    l2_regularization: float
    seed: int
    threshold: float = 0.5  # binary: the positive class's probability from which it is predicted


def build_model(params: TrainParams) -> Any:
    """Categories as ordinal codes (unknown and missing ones as missing values), then boosted trees."""
    encode = ColumnTransformer(
        [
            (
                "categories",
                OrdinalEncoder(
                    categories=[list(CATEGORIES[name]) for name in CATEGORICAL_FEATURES],
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                ),
                list(CATEGORICAL_FEATURES),
            )
        ],
        remainder="passthrough",  # numbers and booleans, as they are
        verbose_feature_names_out=False,
    )
    boosting = HistGradientBoostingRegressor if TASK == "regression" else HistGradientBoostingClassifier
    trees = boosting(
        learning_rate=params.learning_rate,
        max_iter=params.max_iter,
        max_leaf_nodes=params.max_leaf_nodes,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        categorical_features=list(range(len(CATEGORICAL_FEATURES))) or None,
        random_state=params.seed,
    )
    model = Pipeline([("encode", encode), ("trees", trees)])
    if TASK == "binary":
        return FixedThresholdClassifier(model, threshold=params.threshold, pos_label=POSITIVE_CLASS)
    return model


def run(train: pd.DataFrame, params: TrainParams) -> Any:
    """Fit a fresh model on the validated training frame."""
    frame = SCHEMAS["processed"].validate(train)
    return build_model(params).fit(frame[list(FEATURES)], frame[TARGET])


def metadata(train: pd.DataFrame) -> dict[str, Any]:
    """What the service checks before it serves the model, recorded in its MLmodel file."""
    recorded: dict[str, Any] = {"task": TASK, "target": TARGET, "features": list(FEATURES)}
    if TASK == "regression":
        deciles = np.quantile(train[TARGET].astype(float), np.linspace(0.1, 0.9, PREDICTION_BUCKETS - 1))
        recorded["prediction_buckets"] = sorted({float(f"{value:.4g}") for value in deciles})
    return recorded


def pip_requirements() -> list[str]:
    """Pinned requirements written with the model; naming them avoids MLflow's slow inference."""
    return [f"{name}=={version(name)}" for name in ("scikit-learn", "skops", "pandas")]


def input_example(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows for MLflow's model signature; numbers as floats, so rows with a missing value fit it too."""
    return frame[list(FEATURES)].head(3).astype(dict.fromkeys(NUMERIC_FEATURES, "float64"))


def save_model(model: Any, path: Path = MODEL_DIR, recorded: dict[str, Any] | None = None) -> None:
    """Save as an MLflow model in skops format (no pickle), replacing an older one."""
    shutil.rmtree(path, ignore_errors=True)
    mlflow.sklearn.save_model(
        model,
        path,
        serialization_format="skops",
        skops_trusted_types=SKOPS_TRUSTED_TYPES,
        pip_requirements=pip_requirements(),
        metadata=recorded,
    )


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fit the model and record the run in MLflow.")
    parser.add_argument("--train-data", type=Path, default=TRAIN_SPLIT, help="the training frame (CSV)")
    args = parser.parse_args(argv)
    params = load_section("train", TrainParams)
    train = pd.read_csv(args.train_data)
    start_tracking()
    with mlflow.start_run() as active:
        mlflow.log_params({f"train.{key}": value for key, value in asdict(params).items()})
        model = run(train, params)
        recorded = metadata(train)
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
                metadata=recorded,
            )
    save_model(model, recorded=recorded)
    run_record = {"run_id": active.info.run_id, "model_uri": info.model_uri}
    RUN_FILE.write_text(json.dumps(run_record, indent=2) + "\n", encoding="utf-8")
    print(f"train: logged run {active.info.run_id} and saved {MODEL_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
