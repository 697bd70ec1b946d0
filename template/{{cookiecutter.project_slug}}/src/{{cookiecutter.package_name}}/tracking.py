"""Where MLflow records runs: the project's default store, unless MLFLOW_TRACKING_URI says otherwise."""

from __future__ import annotations

import os

import mlflow

DEFAULT_TRACKING_URI = "{{ cookiecutter.mlflow_tracking_uri }}"
EXPERIMENT_NAME = "{{ cookiecutter.project_slug }}"
MODEL_NAME = "{{ cookiecutter.model_name }}"  # the name of the model each training run logs


def tracking_uri() -> str:
    """The tracking URI in force: the environment first, so CI and teams can point elsewhere."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def start_tracking() -> None:
    """Point MLflow at the tracking store and the project's experiment."""
    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(EXPERIMENT_NAME)
