"""Where MLflow records runs: the project's default store, unless MLFLOW_TRACKING_URI says otherwise."""

from __future__ import annotations

import os

DEFAULT_TRACKING_URI = "{{ cookiecutter.mlflow_tracking_uri }}"
EXPERIMENT_NAME = "{{ cookiecutter.project_slug }}"
MODEL_NAME = "{{ cookiecutter.model_name }}"


def tracking_uri() -> str:
    """The tracking URI in force: the environment first, so CI and teams can point elsewhere."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def start_tracking() -> None:
    """Point MLflow at the tracking store and the project's experiment (imports MLflow: call it in main())."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri())
    mlflow.set_experiment(EXPERIMENT_NAME)
