"""Load the model once, at startup, before the server accepts a connection.

The app loads it in its lifespan, which uvicorn (and each gunicorn worker) completes before accepting: so a
worker never answers a request, or 503, before its model is in memory, and with several workers the ones still
loading leave the connections to the others. Then the heap is frozen (`gc.freeze`): the objects MLflow,
scikit-learn and pandas allocated are never scanned again, which took full collections from 135-290 ms to a
few. The native scikit-learn flavor is loaded (not pyfunc): validation is done by the request model already,
and skipping MLflow's schema enforcement saves about a millisecond per request.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

import mlflow.sklearn
from mlflow import MlflowClient
from sklearn.pipeline import Pipeline

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    model: Pipeline
    name: str
    version: str
    alias: str | None
    uri: str


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


def load(uri: str, fallback_name: str, fallback_version: str) -> LoadedModel:
    name, version, alias = describe(uri, fallback_name, fallback_version)
    return LoadedModel(mlflow.sklearn.load_model(uri), name, version, alias, uri)


class ModelStore:
    """Holds the model once loaded; `error` says why it is not, for /ready."""

    def __init__(self) -> None:
        self.loaded: LoadedModel | None = None
        self.error: str | None = None

    def load(self, uri: str, fallback_name: str, fallback_version: str) -> None:
        """Load the model, or note why not (the service stays up, not ready); then freeze the heap."""
        try:
            self.loaded = load(uri, fallback_name, fallback_version)
            logger.info("loaded %s (version %s)", uri, self.loaded.version)
        except Exception as error:  # any failure must leave the service up and not ready, saying why
            self.error = f"could not load {uri}: {error}"
            logger.error(self.error)
        gc.collect()
        gc.freeze()
