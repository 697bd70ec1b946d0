"""The request and response models of /predict, derived from the pandera schema, not written twice.

Each feature's type, nullability, allowed values and bounds come from the processed-data schema, so a change
to the data contract changes the API with it. Requests are strict: no extra fields, no strings for numbers,
no booleans or fractions for integers (3.0 is 3, as in JSON Schema), no NaN or infinity; a nullable feature
takes `null`. The endpoint validates its body's bytes here, with pydantic's JSON parser, rather than through
a FastAPI body parameter: the same errors, about 40 µs sooner per request. The answer for one row is the
task's (task.Prediction).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated, Any, Literal

from fastapi.exceptions import RequestValidationError
from pandera.api.pandas.components import Column
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
)

from ..features import FEATURES
from ..schemas import SCHEMAS
from ..task import Prediction


def whole_number(value: Any) -> Any:
    """3.0 for an integer feature is 3: JSON Schema's integer (the OpenAPI document's) is any whole number.
    3.5, strings and booleans are left to the strict check, which refuses them."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def one_of(allowed: Collection[object]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None and value not in allowed:
            raise ValueError(f"Input should be one of {sorted(allowed)}")
        return value

    return check


JSON_TYPES = {bool: "boolean", int: "integer", float: "number"}


def field_for(column: Column) -> tuple[Any, Any]:
    """The pydantic type and constraints of one pandera column."""
    kind = str(column.dtype)
    annotation: Any = (
        bool
        if kind.startswith("bool")
        else int
        if kind.startswith("int")
        else float
        if kind.startswith("float")
        else str
    )
    base = annotation
    constraints: dict[str, Any] = {"allow_inf_nan": False} if base is float else {}
    if base is int:
        annotation = Annotated[int, BeforeValidator(whole_number)]
    for check in column.checks:
        statistics = check.statistics
        if check.name == "isin" and annotation is str:
            annotation = Literal[tuple(statistics["allowed_values"])]
        elif check.name == "isin":  # not Literal[0, 1], which takes True for 1; the enum is documented
            allowed = list(statistics["allowed_values"])
            documented = {"type": JSON_TYPES[base], "enum": allowed}
            # On the type, not the field: a nullable feature's schema is `anyOf: [{enum}, {null}]`
            annotation = Annotated[annotation, AfterValidator(one_of(allowed)), WithJsonSchema(documented)]
        elif check.name in ("greater_than_or_equal_to", "greater_than"):
            constraints["ge" if check.name.endswith("equal_to") else "gt"] = statistics["min_value"]
        elif check.name in ("less_than_or_equal_to", "less_than"):
            constraints["le" if check.name.endswith("equal_to") else "lt"] = statistics["max_value"]
        elif check.name == "in_range":
            constraints["ge"], constraints["le"] = statistics["min_value"], statistics["max_value"]
    if column.nullable:
        annotation = annotation | None
    return annotation, Field(..., **constraints)


_columns = SCHEMAS["processed"].to_schema().columns
Record: type[BaseModel] = create_model(
    "Record",
    __config__=ConfigDict(extra="forbid", strict=True),
    **{name: field_for(_columns[name]) for name in FEATURES},
)

Batch = Annotated[list[Record], Field(min_length=1)]  # type: ignore[valid-type]
PredictRequest = Record | Batch  # type: ignore[valid-type]
_predict_request: TypeAdapter[Any] = TypeAdapter(PredictRequest)


_records: TypeAdapter[list[Any]] = TypeAdapter(list[Record])  # type: ignore[valid-type]
KINDS = {name: str(_columns[name].dtype) for name in FEATURES}  # pandera's dtype of each feature


def validate_records(rows: list[dict[str, Any]]) -> list[BaseModel]:
    """Records already decoded into Python values (MLflow's payloads), checked like a /predict body."""
    try:
        return _records.validate_python(rows)
    except ValidationError as error:
        located = [{**detail, "loc": ("body", *detail["loc"])} for detail in error.errors()]
        raise RequestValidationError(located) from None


def parse_records(body: bytes) -> list[BaseModel]:
    """The records of a /predict body; invalid, the errors a FastAPI body parameter would raise."""
    try:
        request = _predict_request.validate_json(body)
    except ValidationError as error:
        located = [{**detail, "loc": ("body", *detail["loc"])} for detail in error.errors()]
        raise RequestValidationError(located) from None
    return request if isinstance(request, list) else [request]


def openapi_request_body() -> tuple[dict[str, Any], dict[str, Any]]:
    """/predict's OpenAPI `requestBody`, and the component schemas it refers to."""
    schema = _predict_request.json_schema(ref_template="#/components/schemas/{model}")
    components = schema.pop("$defs", {})
    media_type = {"schema": schema}
    content = {"application/json": media_type}
    return {"required": True, "content": content}, components


class PredictResponse(BaseModel):
    request_id: str
    model_version: str
    predictions: list[Prediction]  # type: ignore[valid-type]
