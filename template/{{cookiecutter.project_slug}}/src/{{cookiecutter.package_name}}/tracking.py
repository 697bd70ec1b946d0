"""Where MLflow records runs: the project's default store, unless MLFLOW_TRACKING_URI says otherwise.

A tracking server that cannot be reached is found out here, in a few seconds and with one line naming it,
before MLflow's client would retry each call for minutes and end in a traceback.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import mlflow

from .errors import ProjectError

DEFAULT_TRACKING_URI = "{{ cookiecutter.mlflow_tracking_uri }}"
EXPERIMENT_NAME = "{{ cookiecutter.project_slug }}"
MODEL_NAME = "{{ cookiecutter.model_name }}"  # the name of the model each training run logs
REACH_TIMEOUT_SECONDS = 5.0


class TrackingUnavailable(ProjectError):
    """The MLflow tracking server does not answer."""


def tracking_uri() -> str:
    """The tracking URI in force: the environment first, so CI and teams can point elsewhere."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def require_reachable(uri: str | None = None, timeout: float = REACH_TIMEOUT_SECONDS) -> None:
    """Raise TrackingUnavailable unless the tracking server at `uri` answers (local stores always do)."""
    uri = uri or tracking_uri()
    if not uri.startswith(("http://", "https://")):
        return
    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout):
            return
    except urllib.error.HTTPError:
        return  # it answered: a server behind a proxy may route /health elsewhere
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise TrackingUnavailable(
            f"the MLflow tracking server at {uri} cannot be reached ({reason}): start it "
            "(`make mlflow-server`) or set MLFLOW_TRACKING_URI to one that runs"
        ) from None


def start_tracking() -> None:
    """Point MLflow at the tracking store and the project's experiment."""
    uri = tracking_uri()
    require_reachable(uri)
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(EXPERIMENT_NAME)
