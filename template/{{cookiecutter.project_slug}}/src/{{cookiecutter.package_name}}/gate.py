"""The promotion gate: the contract's rules, checked for a candidate on the same holdout as the champion.

Pure functions of models and data: the registry step (registry.py) decides what to do with the result. Each
rule carries its value and limit, so reports/gate.md shows a reviewer exactly why a model passed or failed.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    selection_rate,
)
from sklearn.pipeline import Pipeline

from .contract import Contract, ContractError, Promotion
from .features import FEATURES, TARGET
from .stages.evaluate import EvaluateParams
from .stages.evaluate import run as score

GATE_JSON = Path("reports/gate.json")
GATE_MARKDOWN = Path("reports/gate.md")
LATENCY_SAMPLES = 200
LATENCY_WARMUP = 20


@dataclass(frozen=True)
class Rule:
    name: str
    value: float
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
    selection_rates: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)

    @property
    def failures(self) -> list[Rule]:
        return [rule for rule in self.rules if not rule.passed]


def at_least(name: str, value: float, bound: float) -> Rule:
    return Rule(name, round(value, 4), f">= {bound}", value >= bound)


def at_most(name: str, value: float, bound: float) -> Rule:
    return Rule(name, round(value, 4), f"<= {bound}", value <= bound)


def improvement(
    promotion: Promotion, metrics: dict[str, float], champion_metrics: dict[str, float], champion: str | None
) -> Rule:
    """The challenger must be strictly better than the champion, by `min_improvement` (relative) at least."""
    metric, margin = promotion.metric, promotion.min_improvement
    bar = champion_metrics[metric] * (1 + margin)
    limit = f"> {bar:.4f} ({champion}: {champion_metrics[metric]} x (1 + {margin}))"
    return Rule(f"{metric} improvement over champion", metrics[metric], limit, metrics[metric] > bar)


def latency_p99_ms(model: Pipeline, holdout: pd.DataFrame, samples: int = LATENCY_SAMPLES) -> float:
    """99th percentile of one-row `predict_proba` calls, in process, after a warm-up."""
    rows = holdout[list(FEATURES)]
    timings = []
    for index in range(LATENCY_WARMUP + samples):
        row = rows.iloc[[index % len(rows)]]
        start = time.perf_counter()
        model.predict_proba(row)
        if index >= LATENCY_WARMUP:
            timings.append((time.perf_counter() - start) * 1000)
    return float(np.percentile(timings, 99))


def directory_size_mb(path: Path) -> float:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) / 1_000_000


def fairness(
    model: Pipeline, holdout: pd.DataFrame, attribute: str, threshold: float
) -> tuple[float, float, dict[str, float]]:
    """Demographic-parity ratio and difference of positive predictions across `attribute`, and the rates."""
    if attribute not in holdout.columns:
        raise ContractError(f"fairness.protected_attribute: {attribute!r} is not a column of the holdout")
    predicted = (model.predict_proba(holdout[list(FEATURES)])[:, 1] >= threshold).astype(int)
    groups = holdout[attribute]
    actual = holdout[TARGET]
    ratio = demographic_parity_ratio(actual, predicted, sensitive_features=groups)
    difference = demographic_parity_difference(actual, predicted, sensitive_features=groups)
    rates = MetricFrame(metrics=selection_rate, y_true=actual, y_pred=predicted, sensitive_features=groups)
    by_group = {str(group): round(float(rate), 4) for group, rate in rates.by_group.items()}
    return float(ratio), float(difference), by_group


def check(
    *,
    candidate: Pipeline,
    candidate_dir: Path,
    candidate_label: str,
    champion: Pipeline | None,
    champion_label: str | None,
    holdout: pd.DataFrame,
    contract: Contract,
    threshold: float,
    latency_samples: int = LATENCY_SAMPLES,
) -> GateResult:
    """Apply every rule of `contract` to `candidate`, comparing with `champion` when there is one."""
    params = EvaluateParams(threshold=threshold)
    metrics = score(candidate, holdout, params).metrics
    slas, promotion = contract.slas, contract.promotion
    rules = [
        at_least("accuracy", metrics["accuracy"], slas.min_accuracy),
        at_least("roc_auc", metrics["roc_auc"], slas.min_roc_auc),
    ]
    champion_metrics = None
    if champion is not None:
        champion_metrics = score(champion, holdout, params).metrics
        rules.append(improvement(promotion, metrics, champion_metrics, champion_label))
    attribute = contract.fairness.protected_attribute
    ratio, difference, rates = fairness(candidate, holdout, attribute, threshold)
    low, high = contract.fairness.disparate_impact
    rules += [
        Rule(
            f"disparate impact ({attribute})",
            round(ratio, 4),
            f"within [{low}, {high}]",
            low <= ratio <= high,
        ),
        at_most(
            "latency p99 (ms, one row)",
            latency_p99_ms(candidate, holdout, latency_samples),
            slas.inference_latency_p99_ms,
        ),
        at_most("model size (MB)", directory_size_mb(candidate_dir), slas.max_model_size_mb),
    ]
    return GateResult(
        candidate=candidate_label,
        champion=champion_label,
        holdout_rows=len(holdout),
        rules=rules,
        metrics={**metrics, "demographic_parity_difference": round(difference, 4)},
        champion_metrics=champion_metrics,
        selection_rates=rates,
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
            f"| {r.name} | {r.value} | {r.limit} | {'pass' if r.passed else '**FAIL**'} |"
            for r in result.rules
        ),
        "",
        "Positive-prediction rate by group: "
        + ", ".join(f"{group} {rate}" for group, rate in result.selection_rates.items())
        + f"; demographic-parity difference {result.metrics['demographic_parity_difference']}.",
    ]
    return "\n".join(lines) + "\n"


def write_reports(
    result: GateResult, json_path: Path = GATE_JSON, markdown_path: Path = GATE_MARKDOWN
) -> None:
    json_path.parent.mkdir(parents=True, exist_ok=True)
    document = {"passed": result.passed, **asdict(result)}
    json_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    markdown_path.write_text(to_markdown(result), encoding="utf-8")
