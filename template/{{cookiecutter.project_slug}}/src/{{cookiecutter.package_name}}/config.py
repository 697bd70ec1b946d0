"""Typed access to params.yaml: each stage reads its own section into a frozen dataclass.

A typo in params.yaml should fail at the start of a stage with the key named, not an hour into training.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .errors import ProjectError
from .paths import PARAMS_FILE

Section = TypeVar("Section")


class ConfigError(ProjectError):
    """params.yaml is missing, malformed, or does not match what a stage expects."""


def read_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Return params.yaml as a mapping of section name to section."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (run stages from the project root)") from None
    try:
        params = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: expected a mapping of stage sections at the top level")
    return params


def load_section(name: str, schema: type[Section], path: Path = PARAMS_FILE) -> Section:
    """Build `schema` (a dataclass) from section `name`; missing, unknown or mistyped keys are errors."""
    section = read_params(path).get(name)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: missing section '{name}'")
    return parse_section(name, schema, section, path)


def parse_section(name: str, schema: type[Section], section: dict[str, Any], path: Path) -> Section:
    """Check `section` against the fields of `schema` and build it."""
    fields = {field.name: field for field in dataclasses.fields(schema)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(schema)
    unknown = sorted(set(section) - set(fields))
    if unknown:
        raise ConfigError(f"{path}: unknown key '{name}.{unknown[0]}' (expected: {', '.join(fields)})")
    values = {}
    for key, field in fields.items():
        if key not in section:
            if field.default is not dataclasses.MISSING:
                continue
            raise ConfigError(f"{path}: missing key '{name}.{key}'")
        values[key] = _checked(f"{name}.{key}", section[key], hints[key], path)
    return schema(**values)


def _checked(key: str, value: Any, expected: Any, path: Path) -> Any:
    allowed = typing.get_args(expected) if isinstance(expected, types.UnionType) else (expected,)
    for kind in allowed:
        if value is None and kind is type(None):
            return value
        if isinstance(value, bool) != (kind is bool):
            continue  # YAML's true/false is not a number, and a number is not a flag
        if kind is float and isinstance(value, int):
            return float(value)
        if isinstance(value, kind):
            return value
    names = " or ".join("null" if kind is type(None) else kind.__name__ for kind in allowed)
    raise ConfigError(f"{path}: key '{key}' must be {names}, got {value!r}")
