"""Read monitoring inputs (the training split, the inference log, a batch CSV, labels) and write reports.

Every problem a user can cause is a `MonitorInputError` naming the file and, when there is one, the line:
`logs/inference.jsonl:12: not valid JSON (Expecting value)`. Reports are written through temporary files,
so a failed run leaves none half-written. The inference log holds the champion's answers (entries with no
`role`) and, with a shadow model, the challenger's (`"role": "shadow"`, serve/shadow.py): each reader takes
one role, so drift and quality see the champion's traffic once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ProjectError
from ..features import FEATURES, NUMERIC_FEATURES
from ..schemas import SCHEMAS

FIELD_TYPES: dict[str, type] = {
    "request_id": str,
    "features": dict,
    "prediction": dict,
    "model_version": str,
    "champion_version": str,
}
PREDICTION_FIELDS = ("request_id", "prediction")
SHADOW_FIELDS = ("request_id", "prediction", "model_version", "champion_version")
CHAMPION, SHADOW = None, "shadow"  # the `role` of the entries: none for the champion's


class MonitorInputError(ProjectError):
    """A monitoring input is missing or malformed; the message names the file (and line)."""


def read_features(path: Path) -> pd.DataFrame:
    """The model's features from an inference log (`.jsonl`) or a batch file (`.csv`), one row per record."""
    if path.suffix == ".jsonl":
        frame = pd.DataFrame([record["features"] for _, record in read_inference_log(path, ("features",))])
        missing = [name for name in FEATURES if name not in frame.columns]
        if missing:
            raise MonitorInputError(f"{path}: the records' features lack {', '.join(missing)}")
        return frame[list(FEATURES)]
    if path.suffix == ".csv":
        return numeric_features(read_csv(path, FEATURES), path)[list(FEATURES)]
    raise MonitorInputError(f"{path}: expected an inference log (.jsonl) or a batch file (.csv)")


def read_inference_log(
    path: Path, fields: tuple[str, ...] = PREDICTION_FIELDS, role: str | None = CHAMPION
) -> list[tuple[int, dict[str, Any]]]:
    """The records of `role` in a JSON Lines inference log with their line numbers, each checked to have
    `fields`. The champion's must be there; the challenger's may not (no shadow model)."""
    text = _read_text(path)
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise MonitorInputError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise MonitorInputError(f"{path}:{number}: expected a JSON object, got {type(record).__name__}")
        if record.get("role") != role:
            continue
        invalid = [name for name in fields if not isinstance(record.get(name), FIELD_TYPES[name])]
        if invalid:
            kind = FIELD_TYPES[invalid[0]].__name__.replace("dict", "object").replace("str", "string")
            raise MonitorInputError(f"{path}:{number}: '{invalid[0]}' is missing or not a JSON {kind}")
        records.append((number, record))
    if not records and role is CHAMPION:
        raise MonitorInputError(f"{path}: no records")
    return records


def read_csv(path: Path, columns: tuple[str, ...], text: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV file that has at least `columns` and one row; `text` columns are read as strings, as written."""
    _read_text(path)
    try:
        frame = pd.read_csv(path, dtype=dict.fromkeys(text, str))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise MonitorInputError(f"{path}: not a readable CSV file ({str(error).strip()})") from None
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise MonitorInputError(f"{path}: missing column(s) {', '.join(missing)}")
    if frame.empty:
        raise MonitorInputError(f"{path}: no rows")
    return frame


def numeric_features(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """`frame` with its numeric features as numbers; a value that is not one is reported by line (an empty
    one too, unless the schema lets the feature be missing)."""
    columns = SCHEMAS["processed"].to_schema().columns
    for name in NUMERIC_FEATURES:
        values = pd.to_numeric(frame[name], errors="coerce")
        bad = values.isna() & frame[name].notna() | (frame[name].isna() & (not columns[name].nullable))
        if bad.any():
            line = int(bad.to_numpy().argmax()) + 2  # the header is line 1
            value = frame[name].iloc[line - 2]
            raise MonitorInputError(
                f"{path}:{line}: {name}: '{'' if pd.isna(value) else value}' is not a number"
            )
        frame = frame.assign(**{name: values})
    return frame


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MonitorInputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise MonitorInputError(f"{path}: is a directory, not a file") from None
    except UnicodeDecodeError:
        raise MonitorInputError(f"{path}: not UTF-8 text") from None
