"""The promotion gate: the contract's rules, checked for a candidate on the same holdout as the champion.

Pure functions of models and data: the registry step (registry.py) decides what to do with the result. Each
rule carries its value and limit, so reports/gate.md shows a reviewer exactly why a model passed or failed.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from . import task
from .contract import GOVERNANCE_FIELDS, Contract, ContractError, Promotion
from .fairness import MISSING_GROUP, GroupParity, parity
from .features import TARGET
from .metrics import METRICS, score
from .paths import GATE_JSON, GATE_MARKDOWN
from .schemas import SCHEMAS

LATENCY_SAMPLES = 200
LATENCY_WARMUP = 20
NOT_CONFIGURED = "not configured"
STATED = "stated in model_contract.yaml"


@dataclass(frozen=True)
class Rule:
    name: str
    value: float | None  # None: the rule was not evaluated (not configured)
    limit: str
    passed: bool


@dataclass(frozen=True)
class GateResult:
    candidate: str
    champion: str | None
    holdout_rows: int
    rules: list[Rule]
    metrics: dict[str, float]
    champion_metrics: dict[str, float] | None
    fairness: GroupParity | None = None
    # The candidate's metrics on each group of the protected attribute (those defined on the group's rows).
    group_metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)

    @property
    def failures(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.passed]


def at_most(name: str, value: float, bound: float) -> Rule:
    return Rule(name, round(value, 4), f"<= {bound}", value <= bound)


def metric_rules(metrics: dict[str, float], contract: Contract) -> list[Rule]:
    """One rule per metric target of the contract."""
    return [
        Rule(name, metrics[name], target.describe(), target.holds(metrics[name]))
        for name, target in contract.slas.metrics.items()
    ]


def improvement(
    promotion: Promotion, metrics: dict[str, float], champion_metrics: dict[str, float], champion: str | None
) -> Rule:
    """The challenger must be strictly better than the champion, by `min_improvement` (relative) at least,
    in the metric's own direction: a higher accuracy, a lower rmse."""
    name, margin = promotion.metric, promotion.min_improvement
    metric = METRICS[name]
    reference = champion_metrics[name]
    comparison = ">" if metric.higher_is_better else "<"
    sign = "+" if metric.higher_is_better else "-"
    bar = metric.bar(reference, margin)
    limit = f"{comparison} {bar:.4f} ({champion}: {reference} {sign} {margin:g} x abs({reference}))"
    return Rule(
        f"{name} improvement over champion",
        metrics[name],
        limit,
        metric.improves(metrics[name], reference, margin),
    )


def latency_p99_ms(model: Any, holdout: pd.DataFrame, samples: int = LATENCY_SAMPLES) -> float:
    """99th percentile of one-row predictions, in process, after a warm-up, on one thread as served."""
    timings = []
    with threadpool_limits(1, user_api="openmp"):
        for index in range(LATENCY_WARMUP + samples):
            row = holdout.iloc[[index % len(holdout)]]
            start = time.perf_counter()
            task.predict(model, row)
            if index >= LATENCY_WARMUP:
                timings.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(timings, 99))


def directory_size_mb(path: Path) -> float:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) / 1_000_000


def fairness_rule(
    contract: Contract, holdout: pd.DataFrame, actual: np.ndarray, predictions: task.Predictions
) -> tuple[Rule, GroupParity | None]:
    """The disparate-impact rule, or a passing "not configured" when the contract states none."""
    if contract.fairness is None:
        return Rule("fairness", None, NOT_CONFIGURED, True), None
    attribute = contract.fairness.protected_attribute
    if attribute not in holdout.columns:
        raise ContractError(f"fairness.protected_attribute: {attribute!r} is not a column of the holdout")
    result = parity(actual, predictions, holdout[attribute])
    low, high = contract.fairness.disparate_impact
    rule = Rule(
        f"disparate impact ({attribute})",
        result.ratio,
        f"within [{low}, {high}]",
        low <= result.ratio <= high,
    )
    return rule, result


def governance_rules(contract: Contract) -> list[Rule]:
    """One rule per governance field of the contract (owner, intended use, limitations, approvers)."""
    unstated = contract.model.unstated()
    return [
        Rule(f"model.{field}", None, STATED, f"model.{field}" not in unstated) for field in GOVERNANCE_FIELDS
    ]


def group_metrics(
    groups: pd.Series, actual: np.ndarray, predictions: task.Predictions
) -> dict[str, dict[str, float]]:
    """Each metric of the task on each group's rows, but those a group's rows cannot define."""
    labels = groups.astype(object).where(groups.notna(), MISSING_GROUP).astype(str).to_numpy()
    by_group = {}
    for group in sorted(set(labels)):
        rows = labels == group
        probabilities = predictions.probabilities
        part = replace(
            predictions,
            predicted=predictions.predicted[rows],
            probabilities=None if probabilities is None else probabilities[rows],
        )
        values = {}
        for name, metric in METRICS.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scikit-learn warns on a group of one class, then NaN
                try:
                    value = float(metric.compute(actual[rows], part))
                except ValueError:
                    continue
            if math.isfinite(value):
                values[name] = round(value, 4)
        by_group[group] = values
    return by_group


def check(
    *,
    candidate: Any,
    candidate_dir: Path,
    candidate_label: str,
    champion: Any | None,
    champion_label: str | None,
    holdout: pd.DataFrame,
    contract: Contract,
    latency_samples: int = LATENCY_SAMPLES,
) -> GateResult:
    """Apply every rule of `contract` to `candidate`, comparing with `champion` when there is one."""
    frame = SCHEMAS["processed"].validate(holdout)
    actual = frame[TARGET].to_numpy()
    predictions = task.predict(candidate, frame)
    metrics = score(actual, predictions)
    rules = governance_rules(contract) + metric_rules(metrics, contract)
    champion_metrics = None
    if champion is not None:
        champion_metrics = score(actual, task.predict(champion, frame))
        rules.append(improvement(contract.promotion, metrics, champion_metrics, champion_label))
    fairness, parity_result = fairness_rule(contract, frame, actual, predictions)
    rules += [
        fairness,
        at_most(
            "latency p99 (ms, one row)",
            latency_p99_ms(candidate, frame, latency_samples),
            contract.slas.inference_latency_p99_ms,
        ),
        at_most("model size (MB)", directory_size_mb(candidate_dir), contract.slas.max_model_size_mb),
    ]
    return GateResult(
        candidate=candidate_label,
        champion=champion_label,
        holdout_rows=len(frame),
        rules=rules,
        metrics=metrics,
        champion_metrics=champion_metrics,
        fairness=parity_result,
        group_metrics=group_metrics(frame[contract.fairness.protected_attribute], actual, predictions)
        if contract.fairness is not None
        else {},
    )


def to_markdown(result: GateResult) -> str:
    verdict = "PASSED" if result.passed else "FAILED"
    champion = result.champion or "none yet (absolute targets only)"
    lines = [
        f"# Promotion gate: {verdict}",
        "",
        f"- Candidate: {result.candidate}",
        f"- Champion: {champion}",
        f"- Holdout: {result.holdout_rows} rows, the same for both",
        "",
        "| rule | value | limit | result |",
        "|---|---|---|---|",
        *(
            f"| {r.name} | {'-' if r.value is None else r.value} | {r.limit} | "
            f"{'**FAIL**' if not r.passed else NOT_CONFIGURED if r.limit == NOT_CONFIGURED else 'pass'} |"
            for r in result.rules
        ),
    ]
    if result.fairness is not None:
        parity_ = result.fairness
        groups = ", ".join(f"{group} {value}" for group, value in parity_.by_group.items())
        about = f" ({parity_.detail})" if parity_.detail else ""
        lines += ["", f"{parity_.measure.capitalize()}{about} by {parity_.attribute}: {groups}."]
    return "\n".join(lines) + "\n"


def write_reports(
    result: GateResult, json_path: Path = GATE_JSON, markdown_path: Path = GATE_MARKDOWN
) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    document = {"passed": result.passed, **asdict(result)}
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(to_markdown(result), encoding="utf-8")
