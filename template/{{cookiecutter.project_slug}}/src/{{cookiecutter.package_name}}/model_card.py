"""The model card of a promotion: what the model is for, how it did at the gate, and what it was made from.

`registry promote` writes it after each gate (reports/model_card.md and .json), stores the markdown as the
registry version's description and logs both files to the training run; deploy.yml attaches them to the
release. Everything in it comes from the contract, the gate's result and the version's provenance tags.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .contract import Contract
from .gate import NOT_CONFIGURED, GateResult
from .paths import MODEL_CARD_JSON, MODEL_CARD_MARKDOWN


def build(
    contract: Contract, result: GateResult, *, version: str, run_id: str, lineage: dict[str, str]
) -> dict[str, Any]:
    """The card as data: the JSON file is this, the markdown is rendered from it."""
    return {
        "model": contract.model.name,
        "version": version,
        "contract_version": contract.model.version,
        "owner": contract.model.owner,
        "intended_use": contract.model.intended_use,
        "limitations": contract.model.limitations,
        "approvers": list(contract.model.approvers),
        "gate": {
            "passed": result.passed,
            "champion": result.champion,
            "holdout_rows": result.holdout_rows,
            "rules": [asdict(rule) for rule in result.rules],
        },
        "metrics": result.metrics,
        "protected_attribute": contract.fairness.protected_attribute if contract.fairness else None,
        "group_metrics": result.group_metrics,
        "lineage": {"mlflow_run_id": run_id, **lineage},
    }


def to_markdown(card: dict[str, Any]) -> str:
    gate = card["gate"]
    lines = [
        f"# Model card: {card['model']} version {card['version']}",
        "",
        f"- Owner: {card['owner']}",
        f"- Approvers for production: {', '.join(card['approvers']) or '(none)'}",
        f"- Contract version: {card['contract_version']}",
        f"- Gate: {'PASSED' if gate['passed'] else 'FAILED'} on {gate['holdout_rows']} held-out rows"
        f" (champion: {gate['champion'] or 'none'})",
        "",
        "## Intended use",
        "",
        card["intended_use"] or "(not stated)",
        "",
        "## Limitations",
        "",
        card["limitations"] or "(not stated)",
        "",
        "## Gate",
        "",
        "| rule | value | limit | result |",
        "|---|---|---|---|",
        *(
            f"| {rule['name']} | {'-' if rule['value'] is None else rule['value']} | {rule['limit']} | "
            f"{verdict(rule)} |"
            for rule in gate["rules"]
        ),
        "",
        "## Metrics on the holdout",
        "",
        "| metric | value |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in card["metrics"].items()),
    ]
    if card["group_metrics"]:
        names = sorted({name for values in card["group_metrics"].values() for name in values})
        lines += [
            "",
            f"## Metrics by {card['protected_attribute']}",
            "",
            f"| {card['protected_attribute']} | {' | '.join(names)} |",
            "|---|" + "---|" * len(names),
            *(
                f"| {group} | {' | '.join(str(values.get(name, '-')) for name in names)} |"
                for group, values in card["group_metrics"].items()
            ),
        ]
    lines += ["", "## Lineage", "", *(f"- {key}: {value}" for key, value in card["lineage"].items())]
    return "\n".join(lines) + "\n"


def verdict(rule: dict[str, Any]) -> str:
    if not rule["passed"]:
        return "FAIL"
    return NOT_CONFIGURED if rule["limit"] == NOT_CONFIGURED else "pass"


def write(
    card: dict[str, Any], markdown_path: Path = MODEL_CARD_MARKDOWN, json_path: Path = MODEL_CARD_JSON
) -> str:
    """Write both files; the markdown text."""
    markdown = to_markdown(card)
    markdown_path.parent.mkdir(parents=True, exist_ok=True)
    markdown_path.write_text(markdown, encoding="utf-8")
    json_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return markdown
