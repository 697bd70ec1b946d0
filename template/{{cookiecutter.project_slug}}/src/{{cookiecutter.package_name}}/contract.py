"""Load model_contract.yaml into typed, frozen objects, checked against its JSON Schema for this task.

The contract is edited by hand by people who are not all engineers, so every mistake is reported as one line
naming the file, the line and the key: `model_contract.yaml:14: slas.metrics.accuracy.min: 1.5 is greater
than the maximum of 1`. The schema file lists every task's metrics; the check narrows it to the metrics of
this project's task (features.TASK), so `rmse` in a classifier's contract is an error naming its line.
Template 0.1's `slas.min_<metric>` keys still load, as `slas.metrics.<metric>.min`.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .errors import ProjectError
from .features import TASK
from .paths import CONTRACT_FILE

SCHEMA_FILE = Path(__file__).with_name("model_contract.schema.json")
LEGACY_TARGET = re.compile(r"^(min|max)_(\w+)$")  # template 0.1: slas.min_accuracy

KeyPath = tuple[str | int, ...]  # ("slas", "metrics", "accuracy"), ("fairness", "disparate_impact", 0)


class ContractError(ProjectError):
    """model_contract.yaml is missing, malformed or breaks its schema."""


GOVERNANCE_FIELDS = ("owner", "intended_use", "limitations", "approvers")  # the gate needs each stated


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    owner: str
    intended_use: str = ""  # governance: empty means not stated, and the gate fails naming the field
    limitations: str = ""
    approvers: tuple[str, ...] = ()

    def unstated(self) -> list[str]:
        """The governance fields that are empty (or were missing): `model.intended_use`, ..."""
        return [f"model.{field}" for field in GOVERNANCE_FIELDS if not _stated(getattr(self, field))]


def _stated(value: str | tuple[str, ...]) -> bool:
    return bool(value.strip()) if isinstance(value, str) else any(item.strip() for item in value)


@dataclass(frozen=True)
class Target:
    """Bounds on one metric of the held-out split; either may be absent."""

    min: float | None = None
    max: float | None = None

    def holds(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"within [{self.min}, {self.max}]"
        return f">= {self.min}" if self.min is not None else f"<= {self.max}"


@dataclass(frozen=True)
class Slas:
    inference_latency_p99_ms: float
    data_drift_threshold: float
    max_model_size_mb: float
    metrics: dict[str, Target]


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
    fairness: Fairness | None  # None: the project states no fairness rule (the gate says "not configured")
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
    metrics = _targets(data["slas"], path, lines)
    fairness = None
    if "fairness" in data:
        low, high = data["fairness"]["disparate_impact"]
        if low > high:
            where = lines.get(("fairness", "disparate_impact"), 1)
            raise ContractError(
                f"{path}:{where}: fairness.disparate_impact: the range [{low}, {high}] is empty "
                "(its lower bound is above its upper bound)"
            )
        fairness = Fairness(data["fairness"]["protected_attribute"], (float(low), float(high)))
    slas = data["slas"]
    return Contract(
        model=ModelInfo(**{**data["model"], "approvers": tuple(data["model"].get("approvers") or ())}),
        slas=Slas(
            inference_latency_p99_ms=float(slas["inference_latency_p99_ms"]),
            data_drift_threshold=float(slas["data_drift_threshold"]),
            max_model_size_mb=float(slas["max_model_size_mb"]),
            metrics=metrics,
        ),
        promotion=Promotion(data["promotion"]["metric"], float(data["promotion"]["min_improvement"])),
        fairness=fairness,
        monitoring=Monitoring(data["monitoring"]["schedule"], tuple(data["monitoring"]["metrics"])),
    )


def task_schema(task: str = TASK) -> dict[str, Any]:
    """The contract's JSON Schema with `metric` narrowed to the metrics of `task`."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    narrowed = copy.deepcopy(schema)
    narrowed["$defs"]["metric"] = schema["$defs"][f"{task}_metric"]
    return narrowed


def _targets(slas: dict[str, Any], path: Path, lines: dict[KeyPath, int]) -> dict[str, Target]:
    """`slas.metrics`, with template 0.1's `slas.min_<metric>` keys folded in."""
    bounds = {name: dict(bound) for name, bound in (slas.get("metrics") or {}).items()}
    for key, value in slas.items():
        found = LEGACY_TARGET.match(key)
        if not found or key == "max_model_size_mb":
            continue
        side, name = found.groups()
        where = f"{path}:{lines.get(('slas', key), 1)}: slas.{key}"
        if name not in task_schema()["$defs"]["metric"]["enum"]:
            raise ContractError(f"{where}: {name!r} is not a metric of this {TASK} task")
        if side in bounds.get(name, {}):
            raise ContractError(f"{where}: slas.metrics.{name}.{side} says it too: keep one")
        bounds.setdefault(name, {})[side] = value
    return {name: Target(bound.get("min"), bound.get("max")) for name, bound in bounds.items()}


def _check_schema(data: Any, path: Path, lines: dict[KeyPath, int]) -> None:
    errors = sorted(
        jsonschema.Draft202012Validator(task_schema()).iter_errors(data),
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
    elif error.validator == "enum" and error.schema == task_schema()["$defs"]["metric"]:
        if "propertyNames" in error.schema_path:  # a metric named as a key: slas.metrics.rmse
            key_path = (*key_path, error.instance)
        message = (
            f"{error.instance!r} is not a metric of this {TASK} task ({', '.join(error.validator_value)})"
        )
    key = ".".join(str(part) for part in key_path) or "(top level)"
    raise ContractError(f"{path}:{lines.get(key_path, 1)}: {key}: {message}")


def _key_lines(node: yaml.Node | None, prefix: KeyPath = ()) -> dict[KeyPath, int]:
    """Map each key path (`("slas", "metrics")`) to the 1-based line where its key is."""
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
