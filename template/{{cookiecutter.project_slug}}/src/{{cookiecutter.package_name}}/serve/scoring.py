"""MLflow's scoring protocol, as `mlflow models serve` speaks it: /invocations bodies read into records.

Clients written for MLflow send one of four JSON payloads, or CSV with a header row:
  {"dataframe_split": {"columns": [...], "data": [[...], ...]} }   pandas' split orient ("index" is ignored)
  {"dataframe_records": [{...}, ...]}                               pandas' records orient
  {"instances": ...} or {"inputs": ...}                             records, or columns ({name: [values]})
Each becomes a list of records and goes through the same request model as /predict (request.py): the same
types, bounds and allowed values, and no extra fields. MLflow's client sends a pandas frame as it holds it:
a whole number in a float column as 1.0, a missing value as NaN. So, before validation, a whole float is the
integer of an integer feature and NaN (or an empty CSV cell) is null; anything else is left for the request
model to judge. What the service answers is MLflow's `{"predictions": [...]}`: the model's `predict`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from pydantic import BaseModel

from ..features import FEATURES
from ..task import Label
from .csv_body import csv_pattern
from .request import KINDS, Record, validate_records

JSON = "application/json"
CSV = "text/csv"
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
PARAMS = "params"  # MLflow's inference parameters: taken, and unread (the model has none, as MLflow warns)
AN_OBJECT = {"type": "object"}


class InvocationsResponse(BaseModel):
    predictions: list[Label]  # type: ignore[valid-type]


def invocations_request_body() -> dict[str, Any]:
    """The OpenAPI `requestBody` of /invocations: MLflow's four JSON payloads of records, or CSV."""
    record = {"$ref": "#/components/schemas/Record"}
    records = {"type": "array", "items": record, "minItems": 1}
    properties = Record.model_json_schema()["properties"]
    cells = [properties[name] for name in FEATURES]
    row = {"type": "array", "prefixItems": cells, "items": False, "minItems": len(cells)}
    split = {
        "type": "object",
        "description": "The features' columns in this order (the service takes them in any order)",
        "properties": {
            "columns": {"const": list(FEATURES)},
            "data": {"type": "array", "items": row, "minItems": 1},
            "index": {"type": "array"},
        },
        "required": ["columns", "data"],
    }
    payloads = [
        {
            "type": "object",
            "properties": {key: records if key != "dataframe_split" else split, PARAMS: AN_OBJECT},
            "required": [key],
        }
        | {"additionalProperties": False}
        for key in FORMATS
    ]
    csv_body = {
        "type": "string",
        "description": "CSV as pandas writes the features (the service takes the columns in any order)",
        "pattern": csv_pattern(properties),
    }
    any_payload = {"oneOf": payloads}
    json_body, csv_schema = {"schema": any_payload}, {"schema": csv_body}
    content = {JSON: json_body, CSV: csv_schema}
    return {"required": True, "content": content}


class BadPayload(Exception):
    """A body MLflow's server refuses too: `status` is 400 (not a payload) or 415 (not a content type)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def parse_invocation(body: bytes, content_type: str) -> list[BaseModel]:
    """The records of an /invocations body, validated; BadPayload or RequestValidationError otherwise."""
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if any(parameter not in ("charset=utf-8", "") for parameter in parameters):
        raise BadPayload(f"unsupported content type parameters: {content_type}", status=415)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8") from None
    if media_type == CSV:
        rows = csv_rows(text)
    elif media_type == JSON:
        rows = json_rows(text)
    else:
        raise BadPayload(f"the content type must be {JSON} or {CSV}, not {content_type!r}", status=415)
    if not rows:
        raise BadPayload("the payload holds no rows")
    return validate_records([normalized(row) for row in rows])


def json_rows(text: str) -> list[Any]:
    try:
        payload = json.loads(text)
    except ValueError as error:
        raise BadPayload(f"the body is not JSON: {error}") from None
    keys = set(payload) - {PARAMS} if isinstance(payload, dict) else set()
    if len(keys) != 1 or not keys <= set(FORMATS) or not isinstance(payload.get(PARAMS, {}), dict):
        raise BadPayload(f"the body must be an object with one of the keys {', '.join(FORMATS)} (and params)")
    [key] = keys
    data = payload[key]
    if key == "dataframe_split":
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise BadPayload("dataframe_split must be an object with `columns` and `data`")
        columns, values = data["columns"], data.get("data")
        if not isinstance(data.get("index", []), list):
            raise BadPayload("dataframe_split's `index`, when given, must be a list (it is not read)")
        if not isinstance(values, list) or not all(isinstance(row, list) for row in values):
            raise BadPayload("dataframe_split's `data` must be a list of rows (lists)")
        if any(len(row) != len(columns) for row in values):
            raise BadPayload("each row of dataframe_split's `data` must have one value per column")
        return [dict(zip(columns, row, strict=True)) for row in values]
    if isinstance(data, dict) and key != "dataframe_records":  # columns: {name: [values]}
        lengths = {len(values) if isinstance(values, list) else -1 for values in data.values()}
        if len(lengths) != 1 or -1 in lengths:
            raise BadPayload(f"{key} as columns must map each name to a list, all of the same length")
        return [dict(zip(data, row, strict=True)) for row in zip(*data.values(), strict=True)]
    if not isinstance(data, list):
        raise BadPayload(f"{key} must be a list of records")
    return data


def csv_rows(text: str) -> list[dict[str, Any]]:
    """Rows of a CSV with a header; each cell typed as its feature is (pandas' `to_csv` output reads back)."""
    try:
        return [
            {name: typed(name, cell) for name, cell in row.items()}
            for row in csv.DictReader(io.StringIO(text), strict=True)
        ]
    except (csv.Error, TypeError) as error:  # TypeError: a row with more cells than the header
        raise BadPayload(f"the body is not CSV with a header row: {error}") from None


def typed(name: str | None, cell: str | None) -> Any:
    """A CSV cell as the JSON value it stands for; left a string when it is not one (the model says why)."""
    if name is None or not isinstance(cell, str):
        raise TypeError("a row has not as many cells as the header")
    kind = KINDS.get(name, "str")
    if cell == "":
        return None
    try:
        if kind.startswith(("int", "float")):
            number = float(cell)
            return int(number) if kind.startswith("int") and number.is_integer() else number
    except ValueError:
        return cell
    if kind.startswith("bool") and cell.lower() in ("true", "false"):
        return cell.lower() == "true"
    return cell


def normalized(row: Any) -> Any:
    """NaN as null; a whole float as an integer feature's integer (what a pandas frame turns them into)."""
    if not isinstance(row, dict):
        return row
    fixed = {}
    for name, value in row.items():
        if isinstance(value, float) and math.isnan(value):
            value = None
        elif isinstance(value, float) and KINDS.get(name, "").startswith("int") and value.is_integer():
            value = int(value)
        fixed[name] = value
    return fixed
