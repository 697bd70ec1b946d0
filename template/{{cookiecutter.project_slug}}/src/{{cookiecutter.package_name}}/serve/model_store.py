"""Load the model once, at startup, before the server accepts a connection; retry until it loads.

The app loads it in its lifespan, which uvicorn (and each gunicorn worker) completes before accepting: so a
worker never answers a request, or 503, before its model is in memory, and with several workers the ones still
loading leave the connections to the others. When the model cannot be loaded (the registry is down, no
@champion yet), the service starts anyway, not ready: /ready answers 503 with the reason, the log says it, and
the app tries again every few seconds. A model trained for another task or other features than this code's
feature spec is refused the same way. Once loaded, the heap is frozen (`gc.freeze`): the objects MLflow,
scikit-learn and pandas allocated are never scanned again, which took full collections from 135-290 ms to a
few. The native scikit-learn flavor is loaded (not pyfunc): validation is done by the request model already,
and skipping MLflow's schema enforcement saves about a millisecond per request.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from typing import Any

import mlflow.models
import mlflow.sklearn
from mlflow import MlflowClient

from ..errors import ProjectError
from ..features import FEATURES, TASK
from ..tracking import require_reachable

logger = logging.getLogger(__name__)


class ModelRefused(ProjectError):
    """The model does not fit this project's code: another task, or other features."""


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    name: str
    version: str
    alias: str | None
    uri: str
    metadata: dict[str, Any] = field(default_factory=dict)  # what train.py recorded in the MLmodel file


def describe(uri: str, fallback_name: str, fallback_version: str) -> tuple[str, str, str | None]:
    """Name, version and alias of `uri`: from the registry for `models:/...`, else the fallbacks."""
    if not uri.startswith("models:/"):
        return fallback_name, fallback_version, None
    reference = uri.removeprefix("models:/")
    if "@" in reference:
        name, alias = reference.split("@", 1)
        return name, str(MlflowClient().get_model_version_by_alias(name, alias).version), alias
    name, _, version = reference.partition("/")
    return name, version, None


def check_fits(uri: str, metadata: dict[str, Any]) -> None:
    """Refuse a model whose recorded task or features are not this code's (models without a record pass)."""
    task, features = metadata.get("task", TASK), metadata.get("features", list(FEATURES))
    if task != TASK:
        raise ModelRefused(f"{uri} predicts for a {task} task; this service is for a {TASK} task")
    if list(features) != list(FEATURES):
        raise ModelRefused(
            f"{uri} was trained on other features than features.py names: {', '.join(features)}"
        )


def load(uri: str, fallback_name: str, fallback_version: str) -> LoadedModel:
    if uri.startswith("models:/"):
        require_reachable()  # seconds, not MLflow's minutes of retries, when the registry is down
    metadata = mlflow.models.get_model_info(uri).metadata or {}
    check_fits(uri, metadata)
    name, version, alias = describe(uri, fallback_name, fallback_version)
    return LoadedModel(mlflow.sklearn.load_model(uri), name, version, alias, uri, metadata)


class ModelStore:
    """Holds the model once loaded; `error` says why it is not, for /ready."""

    def __init__(self) -> None:
        self.loaded: LoadedModel | None = None
        self.error: str | None = None

    def load(self, uri: str, fallback_name: str, fallback_version: str) -> bool:
        """Load the model, or note why not (the service stays up, not ready); then freeze the heap."""
        try:
            self.loaded = load(uri, fallback_name, fallback_version)
        except Exception as error:  # any failure must leave the service up and not ready, saying why
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self.error = f"could not load {uri}: {reason}"
            logger.error("%s (retrying)", self.error)
            return False
        self.error = None
        logger.info("loaded %s (version %s)", uri, self.loaded.version)
        gc.collect()
        gc.freeze()
        return True
