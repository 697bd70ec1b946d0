"""Load model_contract.yaml into typed, frozen objects, checked against its JSON Schema.

The contract is edited by hand by people who are not all engineers, so every mistake is reported as one line
naming the file, the line and the key: `model_contract.yaml:12: slas.min_accuracy: 1.5 is greater than the
maximum of 1`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

CONTRACT_FILE = Path("model_contract.yaml")
SCHEMA_FILE = Path(__file__).with_name("model_contract.schema.json")

KeyPath = tuple[str | int, ...]  # ("slas", "min_accuracy"), ("fairness", "disparate_impact", 0)


class ContractError(ValueError):
    """model_contract.yaml is missing, malformed or breaks its schema."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    owner: str


@dataclass(frozen=True)
class Slas:
    inference_latency_p99_ms: float
    data_drift_threshold: float
    min_accuracy: float
    min_roc_auc: float
    max_model_size_mb: float


@dataclass(frozen=True)
class Promotion:
    metric: str
    min_improvement: float


@dataclass(frozen=True)
class Fairness:
    protected_attribute: str
    disparate_impact: tuple[float, float]


@dataclass(frozen=True)
class Monitoring:
    schedule: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class Contract:
    model: ModelInfo
    slas: Slas
    promotion: Promotion
    fairness: Fairness
    monitoring: Monitoring


def load_contract(path: Path = CONTRACT_FILE) -> Contract:
    """Read, validate and type the contract at `path`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(f"{path}: file not found (run from the project root)") from None
    try:
        document = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ContractError(f"{where}: not valid YAML ({getattr(error, 'problem', error)})") from None
    data = yaml.safe_load(text)
    lines = _key_lines(document)
    _check_schema(data, path, lines)
    low, high = data["fairness"]["disparate_impact"]
    if low > high:
        where = lines.get(("fairness", "disparate_impact"), 1)
        raise ContractError(
            f"{path}:{where}: fairness.disparate_impact: the range [{low}, {high}] is empty "
            "(its lower bound is above its upper bound)"
        )
    return Contract(
        model=ModelInfo(**data["model"]),
        slas=Slas(**{key: float(value) for key, value in data["slas"].items()}),
        promotion=Promotion(data["promotion"]["metric"], float(data["promotion"]["min_improvement"])),
        fairness=Fairness(data["fairness"]["protected_attribute"], (float(low), float(high))),
        monitoring=Monitoring(data["monitoring"]["schedule"], tuple(data["monitoring"]["metrics"])),
    )


def _check_schema(data: Any, path: Path, lines: dict[KeyPath, int]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(data),
        key=lambda error: (lines.get(tuple(error.absolute_path), 1), list(error.absolute_path)),
    )
    if not errors:
        return
    error = errors[0]
    key_path: KeyPath = tuple(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        key_path, message = (*key_path, unknown[0]), "unknown key"
    elif error.validator == "required":
        message = message.replace("is a required property", "is missing")
    key = ".".join(str(part) for part in key_path) or "(top level)"
    raise ContractError(f"{path}:{lines.get(key_path, 1)}: {key}: {message}")


def _key_lines(node: yaml.Node | None, prefix: KeyPath = ()) -> dict[KeyPath, int]:
    """Map each key path (`("slas", "min_accuracy")`) to the 1-based line where its value starts."""
    lines: dict[KeyPath, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            lines[path] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*prefix, index)] = item.start_mark.line + 1
            lines.update(_key_lines(item, (*prefix, index)))
    return lines
