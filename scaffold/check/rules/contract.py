"""MC: the model contract (model_contract.yaml) that the promotion gate and the service enforce."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import Problem, Rule
from ..fixtures import Parsed, parse_yaml

CONTRACT = "model_contract.yaml"
PROMETHEUS_RULES = "monitoring/prometheus/rules.yml"
PROMETHEUS_RULE_MANIFEST = "k8s/base/prometheusrule.yaml"  # the same rules, as a prometheus-operator object
THRESHOLD = re.compile(r">\s*([-+0-9.eE]+)\s*$")  # an alert's `... > 0.1`
LATENCY_KEY = "slas.inference_latency_p99_ms"


class Contract(Rule):
    family = "MC"


def contract(root: Path) -> Parsed:
    return parse_yaml(root, CONTRACT)


def task(root: Path, package: str | None) -> str | None:
    """The project's task (`TASK = "..."` in its feature spec), read without importing it."""
    path = root / "src" / package / "features.py" if package else None
    if path is None or not path.is_file():
        return None
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError):
        return None
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "TASK" and isinstance(value, ast.Constant):
            return str(value.value)
    return None


def contract_schema(root: Path, package: str | None, task: str | None) -> dict[str, Any] | None:
    """The project's own JSON Schema of the contract (shipped in its package), with its metric names narrowed
    to those of the project's task, as the project's contract loader narrows them."""
    if package is None:
        return None
    path = root / "src" / package / "model_contract.schema.json"
    try:
        schema = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except json.JSONDecodeError:
        return None  # MC101 then says the schema is missing or broken
    if not isinstance(schema, dict):
        return None
    definitions = schema.get("$defs")
    if isinstance(definitions, dict) and f"{task}_metric" in definitions:
        schema = {**schema, "$defs": {**definitions, "metric": definitions[f"{task}_metric"]}}
    return schema


class MC001(Contract):
    """model_contract.yaml exists and parses as a mapping."""

    name = "contract-invalid"

    @staticmethod
    def check(contract: Parsed) -> Iterator[Problem]:
        """model_contract.yaml is missing, is not valid YAML, or is not a mapping.

        The promotion gate (`make promote`) and the prediction service read their targets from it: without
        it no model can be promoted. Fix the syntax error at the line given, or restore it from the template.
        """
        if not contract.exists:
            yield Problem(f"{CONTRACT} is missing", CONTRACT)
        elif contract.error:
            yield Problem(contract.error, CONTRACT, contract.error_line)
        elif not isinstance(contract.data, dict):
            yield Problem(f"{CONTRACT} is not a mapping", CONTRACT)


def key_path(path: Any) -> str:
    """`fairness.disparate_impact[0]` from a jsonschema error's path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


class MC101(Contract):
    """model_contract.yaml is valid against the contract's JSON Schema."""

    name = "contract-schema-violation"
    requires = frozenset({"MC001"})

    @staticmethod
    def check(
        contract: Parsed, contract_schema: dict[str, Any] | None, package: str | None, task: str | None
    ) -> Iterator[Problem]:
        """model_contract.yaml breaks its JSON Schema (`src/<package>/model_contract.schema.json`), or names a
        metric that is not one of the project's task (`TASK` in features.py).

        The gate refuses a contract it cannot read, and a misspelt key is a target nobody enforces. Fix the
        key or value at the line given; the schema describes each field (editors that read the file's
        `yaml-language-server` comment show it as you type).
        """
        if contract_schema is None:
            if package is not None:
                schema = f"src/{package}/model_contract.schema.json"
                yield Problem(f"{schema} is missing: the contract cannot be validated", schema)
            return
        try:
            from jsonschema import Draft202012Validator
        except ImportError:
            yield Problem("jsonschema is not installed: the contract cannot be validated", CONTRACT)
            return
        validator = Draft202012Validator(contract_schema)
        for error in validator.iter_errors(contract.data):
            path = tuple(error.absolute_path)
            if error.validator == "additionalProperties" and isinstance(error.instance, dict):
                known = set(error.schema.get("properties", {}))
                for key in sorted(set(error.instance) - known, key=str):
                    yield Problem(
                        f"{key_path((*path, key))}: unknown key (not in the contract's schema)",
                        CONTRACT,
                        contract.line(*path, key),
                    )
            elif "propertyNames" in error.schema_path and isinstance(error.instance, str):
                message = (
                    f"{error.instance!r} is not a metric of the project's {task + ' ' if task else ''}task"
                )
                yield Problem(
                    f"{key_path((*path, error.instance))}: {message}",
                    CONTRACT,
                    contract.line(*path, error.instance),
                )
            else:
                yield Problem(f"{key_path(path)}: {error.message}", CONTRACT, contract.line(*path))


class MC102(Contract):
    """The allowed disparate impact range is not empty: low <= high."""

    name = "contract-fairness-range-empty"
    requires = frozenset({"MC001"})

    @staticmethod
    def check(contract: Parsed) -> Iterator[Problem]:
        """`fairness.disparate_impact: [low, high]` has low above high.

        No model can satisfy an empty range, so the gate refuses every candidate. Write the range as
        `[low, high]`, typically `[0.8, 1.25]` (the four-fifths rule).
        """
        fairness = contract.data.get("fairness") if isinstance(contract.data, dict) else None
        bounds = fairness.get("disparate_impact") if isinstance(fairness, dict) else None
        if (
            isinstance(bounds, list)
            and len(bounds) == 2
            and all(isinstance(bound, int | float) and not isinstance(bound, bool) for bound in bounds)
            and bounds[0] > bounds[1]
        ):
            yield Problem(
                f"fairness.disparate_impact [{bounds[0]}, {bounds[1]}] is empty: low is above high",
                CONTRACT,
                contract.line("fairness", "disparate_impact"),
            )


def prometheus_rules(root: Path) -> Parsed:
    return parse_yaml(root, PROMETHEUS_RULES)


def prometheus_rule_manifest(root: Path) -> Parsed:
    return parse_yaml(root, PROMETHEUS_RULE_MANIFEST)


def contract_value(data: Any, key: str) -> float | None:
    """The number at dotted `key` of the contract, in the unit of the rule (`_ms` keys in seconds)."""
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    if not isinstance(data, int | float) or isinstance(data, bool):
        return None
    return data / 1000 if key.endswith("_ms") else float(data)


def alerts(rules: Parsed, *within: str) -> Iterator[tuple[dict[str, Any], tuple[str | int, ...]]]:
    """Each alerting rule of a Prometheus rules document (at key path `within`: `spec` in a PrometheusRule),
    with its key path."""
    document = rules.data
    for key in within:
        document = document.get(key) if isinstance(document, dict) else None
    groups = document.get("groups") if isinstance(document, dict) else None
    for group_index, group in enumerate(groups if isinstance(groups, list) else []):
        entries = group.get("rules") if isinstance(group, dict) else None
        for index, rule in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(rule, dict) and "alert" in rule:
                yield rule, (*within, "groups", group_index, "rules", index)


def stale_alerts(contract: Parsed, rules: Parsed, *within: str) -> Iterator[Problem]:
    """The alerts of `rules` whose threshold is not the contract's, and a missing latency alert."""
    if not rules.exists:
        return
    if rules.error:
        yield Problem(rules.error, rules.path, rules.error_line)
        return
    held: set[str] = set()
    for rule, path in alerts(rules, *within):
        labels = rule.get("labels")
        key = str(labels.get("contract", "")) if isinstance(labels, dict) else ""
        expected = contract_value(contract.data, key) if key else None
        found = THRESHOLD.search(str(rule.get("expr", "")))
        if expected is None or found is None:
            continue
        held.add(key)
        if abs(float(found.group(1)) - expected) > 1e-9 * max(1.0, abs(expected)):
            yield Problem(
                f"alert {rule['alert']} fires over {found.group(1)}, but {key} in {CONTRACT} gives "
                f"{expected:g}: run `make rules`",
                rules.path,
                rules.line(*path, "expr"),
            )
    if LATENCY_KEY not in held and contract_value(contract.data, LATENCY_KEY) is not None:
        yield Problem(
            f"no alert holds {LATENCY_KEY} (labelled `contract: {LATENCY_KEY}`): run `make rules`",
            rules.path,
        )


class MC201(Contract):
    """The Prometheus alerts (rules.yml; on Kubernetes, the PrometheusRule) hold the contract's thresholds."""

    name = "prometheus-rules-stale"
    requires = frozenset({"MC001"})

    @staticmethod
    def check(
        contract: Parsed, prometheus_rules: Parsed, prometheus_rule_manifest: Parsed
    ) -> Iterator[Problem]:
        """An alert of `monitoring/prometheus/rules.yml`, or of the PrometheusRule object
        `k8s/base/prometheusrule.yaml` that carries the same rules to a cluster, compares with a threshold
        that is no longer the contract's (its `contract` label names the key), or no alert holds the p99
        latency SLA.

        The rules are generated from model_contract.yaml: after the contract changed, the team's Prometheus
        still alerts on the old service levels. Run `make rules` (never edit the files by hand) and commit
        them. A project without a file (made before template 0.2, or not deployed to Kubernetes) has nothing
        to check there.
        """
        yield from stale_alerts(contract, prometheus_rules)
        yield from stale_alerts(contract, prometheus_rule_manifest, "spec")


RULES = (MC001, MC101, MC102, MC201)
FIXTURES = (contract, contract_schema, task, prometheus_rules, prometheus_rule_manifest)
