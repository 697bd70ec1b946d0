"""The prediction service: POST /predict and MLflow's /invocations; GET /health, /ready, /metrics, /model.

`create_app()` builds it from settings; servers import the instance in main.py (`make serve` runs uvicorn,
the image runs gunicorn with uvicorn workers). The model is loaded once, at startup, from MODEL_URI (and
again every few seconds until that succeeds), and predicts in a thread of its own, for the requests queued
together (batcher.py). What an answer holds is the task's (task.py). With API_KEYS_FILE set, the two
prediction endpoints require an API key (auth.py). With SHADOW_MODEL_URI set, a challenger predicts every
request after the champion has answered it, in a process of its own (shadow.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import mlflow.version
import numpy as np
import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from .. import task
from ..contract import load_contract
from ..features import FEATURES, PERSONAL_FEATURES, TASK
from .auth import ApiKeys
from .batcher import MicroBatcher, PredictionFailed, Rows
from .challenger import Challenger
from .inference_log import InferenceLog
from .metrics import LimitBodySize, Metrics, RecordRequests, ShadowMetrics, serve_metrics
from .model_store import LoadedModel, ModelStore
from .personal import PersonalData
from .request import PredictResponse, openapi_request_body, parse_records
from .scoring import BadPayload, InvocationsResponse, invocations_request_body, parse_invocation
from .settings import Settings
from .shadow import Shadow

COLUMNS = pd.Index(FEATURES, dtype=object)
NOT_LOADED = {"description": "The model is not loaded (yet)"}
FAILED = {"description": "The model failed on this request"}
TOO_LARGE = {"description": "More records or bytes than the service accepts"}
INVALID = {"description": "A record is invalid: each error names its field"}
BAD_PAYLOAD = {"description": "Not one of MLflow's payloads, or an invalid record (MLflow's error body)"}
BAD_CONTENT_TYPE = {"description": "Neither application/json nor text/csv (UTF-8)"}
NO_KEY = {"description": "No API key, or not one of API_KEYS_FILE's"}
BEARER = HTTPBearer(auto_error=False, description="One of the keys of API_KEYS_FILE")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]
STRING_SCHEMA = {"type": "string"}
TEXT_BODY = {"schema": STRING_SCHEMA}
PROMETHEUS_TEXT = {
    "description": "Prometheus' text exposition format",
    "content": {"text/plain": TEXT_BODY},
}


@dataclass(frozen=True)
class Answered:
    request_id: str
    model_version: str
    outputs: list[dict[str, Any]]  # the task's answer per row (task.outputs)
    predicted: list[Any]  # the model's predict per row: a label, or a value


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    contract = load_contract(settings.contract)
    store = ModelStore()
    metrics = Metrics()
    personal = PersonalData(PERSONAL_FEATURES, settings.inference_log_hash_key)
    inference_log = InferenceLog(settings.inference_log, personal=personal)

    batcher = MicroBatcher(
        predict_rows(store),
        max_rows=settings.batch_max_rows,
        max_wait=settings.batch_wait_ms / 1000,
        observe_batch=metrics.batch_rows.observe,
        prepare_thread=task.predict_on_one_thread,
    )
    shadow = (
        Shadow(
            Challenger(
                settings.shadow_model_uri,
                contract.model.name,
                settings.shadow_model_version,
                predict_rows,
                settings.inference_log,
                max_rows=settings.batch_max_rows,
                batch_wait=settings.shadow_batch_wait_ms / 1000,
                retry_seconds=settings.load_retry_seconds,
            ),
            ShadowMetrics(metrics.registry),
            queue_requests=settings.shadow_queue_requests,
        )
        if settings.shadow_model_uri
        else None
    )
    champion_loaded = asyncio.Event()

    def load_model() -> bool:
        if not store.load(settings.model_uri, contract.model.name, settings.model_version):
            return False
        assert store.loaded is not None
        metrics.serve_model(store.loaded.name, store.loaded.version, store.loaded.metadata)
        return True

    async def keep_trying() -> None:
        """Load the model in the background until it loads; the service answers 503 meanwhile."""
        while not await asyncio.get_running_loop().run_in_executor(None, load_model):
            await asyncio.sleep(settings.load_retry_seconds)
        champion_loaded.set()

    async def start_shadow(shadow: Shadow) -> None:
        """Start the challenger once the champion is loaded (it loads, and retries, in its own process)."""
        await champion_loaded.wait()
        assert store.loaded is not None
        await shadow.start(store.loaded)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task.predict_on_one_thread()  # the event loop predicts lone requests itself (batcher.py)
        inference_log.start()
        # On a port of their own, metrics are this process's to serve, unless gunicorn's master serves them.
        address, stop_metrics = settings.metrics_address, None
        if address is not None and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            stop_metrics = serve_metrics(address, metrics.registry)
        retrying = None if load_model() else asyncio.create_task(keep_trying())  # before accepting
        if retrying is None:
            champion_loaded.set()
        shadowing = None if shadow is None else asyncio.create_task(start_shadow(shadow))
        yield
        for loading in (retrying, shadowing):
            if loading is not None:
                loading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loading
        if shadow is not None:
            await shadow.close()
        batcher.close()
        inference_log.close()
        if stop_metrics is not None:
            stop_metrics()

    app = FastAPI(title=f"{contract.model.name} prediction service", lifespan=lifespan)
    app.state.store = store
    app.state.shadow = shadow

    guarded = key_required(ApiKeys(settings.api_keys_file)) if settings.api_keys_file else None
    dependencies = [guarded] if guarded else []
    key_responses: dict[int | str, dict[str, Any]] = {401: NO_KEY} if guarded else {}

    def ready_model() -> LoadedModel:
        if store.loaded is None:
            raise HTTPException(503, detail=store.error or "the model is still loading")
        return store.loaded

    @app.get("/health")
    def health() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/ready", responses={503: NOT_LOADED})
    def ready() -> dict[str, str]:
        """Readiness: the model is loaded and predictions can be served."""
        loaded = ready_model()
        return {"status": "ready", "model_version": loaded.version}

    @app.get("/model", responses={503: NOT_LOADED})
    def model() -> dict[str, Any]:
        """What is served, for which task, and the service levels the contract promises for it."""
        loaded = ready_model()
        return {
            "name": loaded.name,
            "version": loaded.version,
            "alias": loaded.alias,
            "uri": loaded.uri,
            "task": TASK,
            "contract_version": contract.model.version,
            "slas": asdict(contract.slas),
            "shadow": shadowed(shadow),
        }

    if settings.metrics_address is None:  # else on a port of their own (metrics.py): 404 here

        @app.get("/metrics", response_class=PlainTextResponse, responses={200: PROMETHEUS_TEXT})
        def prometheus() -> Response:
            """Prometheus metrics: requests, latency, what is predicted, the model version."""
            return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def answer(records: list[BaseModel]) -> Answered:
        """Predict the records, count and log the answers: shared by /predict and /invocations."""
        loaded = ready_model()
        if len(records) > settings.max_batch:
            raise HTTPException(413, detail=f"at most {settings.max_batch} records per request")
        rows = [record.model_dump() for record in records]
        try:
            answers = list(await batcher.predict(rows))
        except PredictionFailed:
            raise HTTPException(500, detail="the model failed on this request") from None
        outputs = [output for output, _ in answers]
        request_id = uuid.uuid4().hex
        metrics.observe(outputs)
        timestamp = datetime.now(UTC).isoformat()
        inference_log.record(
            [
                {
                    "request_id": request_id,
                    "model_version": loaded.version,
                    "timestamp": timestamp,
                    "features": row,
                    "prediction": output,
                }
                for row, output in zip(rows, outputs, strict=True)
            ]
        )
        if shadow is not None:
            shadow.follow(request_id, loaded.version, rows, outputs)
        return Answered(request_id, loaded.version, outputs, [predicted for _, predicted in answers])

    @app.post(
        "/predict",
        response_model=PredictResponse,
        responses={**key_responses, 413: TOO_LARGE, 422: INVALID, 500: FAILED, 503: NOT_LOADED},
        dependencies=dependencies,
    )
    async def predict(request: Request) -> Response:
        """The task's prediction for one record (an object) or a batch (a non-empty array)."""
        answered = await answer(parse_records(await request.body()))
        typed = PredictResponse(
            request_id=answered.request_id, model_version=answered.model_version, predictions=answered.outputs
        )
        # Serialized by pydantic directly: FastAPI would validate the answer again against response_model.
        return Response(typed.model_dump_json(), media_type="application/json")

    @app.post(
        "/invocations",
        response_model=InvocationsResponse,
        responses={
            **key_responses,
            400: BAD_PAYLOAD,
            413: TOO_LARGE,
            415: BAD_CONTENT_TYPE,
            500: FAILED,
            503: NOT_LOADED,
        },
        openapi_extra={"requestBody": invocations_request_body()},
        dependencies=dependencies,
    )
    async def invocations(request: Request) -> Response:
        """MLflow's scoring protocol (`mlflow models serve`): `{"predictions": [...]}`, the model's output."""
        try:
            records = parse_invocation(await request.body(), request.headers.get("content-type", ""))
        except BadPayload as error:
            return mlflow_error(str(error), error.status)
        except RequestValidationError as error:
            detail = readable_errors(error.errors())
            return mlflow_error("invalid records: " + "; ".join(describe(item) for item in detail), 400)
        answered = await answer(records)
        return Response(
            json.dumps({"predictions": answered.predicted}, separators=(",", ":")),
            media_type="application/json",
            headers={"x-request-id": answered.request_id, "x-model-version": answered.model_version},
        )

    @app.get("/ping", response_class=PlainTextResponse, responses={503: NOT_LOADED})
    def ping() -> PlainTextResponse:
        """MLflow's health check: 200 once the model is loaded."""
        ready_model()
        return PlainTextResponse("\n")

    @app.get("/version", response_class=PlainTextResponse)
    def version() -> PlainTextResponse:
        """The MLflow version the service loads models with, as `mlflow models serve` answers it."""
        return PlainTextResponse(mlflow.version.VERSION)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        """422 naming each bad field. Inputs are not echoed back: NaN could not even be serialized."""
        return JSONResponse(status_code=422, content={"detail": readable_errors(error.errors())})

    documented = app.openapi

    def openapi() -> dict[str, Any]:
        """FastAPI's schema, with the body of /predict, which the endpoint parses itself."""
        if app.openapi_schema is None:
            schema = documented()
            body, components = openapi_request_body()
            schema["paths"]["/predict"]["post"]["requestBody"] = body
            schema.setdefault("components", {}).setdefault("schemas", {}).update(components)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(RecordRequests, metrics=metrics)
    app.add_middleware(LimitBodySize, max_bytes=settings.max_body_bytes)
    return app


def shadowed(shadow: Shadow | None) -> dict[str, str] | None:
    """The challenger predicting in the champion's shadow, for /model: None when there is none (yet)."""
    loaded = None if shadow is None else shadow.loaded
    return None if loaded is None else {"name": loaded.name, "version": loaded.version, "uri": loaded.uri}


def key_required(keys: ApiKeys) -> Any:
    """A dependency admitting only requests with `Authorization: Bearer <one of the keys>` (401 otherwise);
    as an HTTPBearer security scheme, the OpenAPI document says so."""

    def require_key(credentials: Credentials) -> None:
        if credentials is None or not keys.admits(credentials.credentials):
            raise HTTPException(
                401,
                detail="an API key is required: Authorization: Bearer <key>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return Depends(require_key)


def predict_rows(store: ModelStore) -> Callable[[Rows], Sequence[tuple[dict[str, Any], Any]]]:
    """The task's answer for each row, and what the model's `predict` gives for it (run in the batcher's
    thread): the answer of /predict, and the bare prediction of /invocations, as MLflow's server has it."""

    def predict(rows: Rows) -> Sequence[tuple[dict[str, Any], Any]]:
        assert store.loaded is not None  # the endpoint checked it before queueing the rows
        # One block of Python objects: pandas builds it in 10 µs, where typed columns took 160 µs (its
        # string dtype). The pipeline converts each column as it did in training: the same predictions.
        values = np.array([[row[name] for name in FEATURES] for row in rows], dtype=object)
        values[np.equal(values, None)] = np.nan  # a null in the request is a missing value to the model
        frame = pd.DataFrame(values, columns=COLUMNS, dtype=object, copy=False)
        predictions = task.predict(store.loaded.model, frame)
        return list(zip(task.outputs(predictions), predictions.predicted.tolist(), strict=True))

    return predict


def mlflow_error(message: str, status: int) -> JSONResponse:
    """An error as MLflow's scoring server shapes it."""
    code = "BAD_REQUEST" if status == 400 else "INVALID_PARAMETER_VALUE"
    return JSONResponse(status_code=status, content={"error_code": code, "message": message})


def describe(error: dict[str, Any]) -> str:
    return f"{'.'.join(str(part) for part in error['loc'][1:]) or 'body'}: {error['msg']}"


UNION_BRANCHES = {"Record", "list[Record]"}


def readable_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Errors located by field, without the branch of `record | [records]` the body was not meant as."""
    readable = []
    for error in errors:
        location = list(error["loc"])
        if location[:1] == ["body"] and len(location) > 1 and location[1] in UNION_BRANCHES:
            if len(location) == 2 and error["type"] in {"list_type", "model_type", "model_attributes_type"}:
                continue
            location = ["body", *location[2:]]
        readable.append({"loc": location, "msg": error["msg"], "type": error["type"]})
    if not readable:
        message = "the body must be one record (an object) or a non-empty array of them"
        readable.append({"loc": ["body"], "msg": message, "type": "body_type"})
    return readable
