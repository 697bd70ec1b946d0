"""What `scaffold rule CODE` and `scaffold rules` print: one rule explained, or every rule listed."""

from __future__ import annotations

import json

from ..base import Rule


def explain(rule: type[Rule]) -> str:
    """As `ruff rule` does: the name and code, the description, what the rule needs, then the explanation."""
    facts = [f"Default severity: {rule.severity}."]
    if rule.requires:
        facts.append(f"Skipped when {', '.join(sorted(rule.requires))} fails.")
    if rule.url:
        facts.append(f"More: {rule.url}")
    parts = [f"# {rule.name} ({rule.code()})", rule.description(), " ".join(facts), rule.explanation()]
    return "\n\n".join(part for part in parts if part) + "\n"


def table(rules: dict[str, type[Rule]]) -> str:
    """One aligned line per rule: code, name, description."""
    width = max((len(rule.name) for rule in rules.values()), default=0)
    return "".join(
        f"{code:<6} {rule.name:<{width}}  {rule.description()}\n" for code, rule in sorted(rules.items())
    )


def as_markdown(rules: dict[str, type[Rule]]) -> str:
    """The rule table of the README (`scaffold rules --format markdown`; a test keeps it current)."""
    rows = [f"| `{code}` | {rule.name} | {rule.description()} |" for code, rule in sorted(rules.items())]
    return "\n".join(["| code | name | what a conforming project has |", "|---|---|---|", *rows]) + "\n"


def as_json(rules: dict[str, type[Rule]]) -> str:
    entries = [
        {
            "code": code,
            "name": rule.name,
            "description": rule.description(),
            "severity": rule.severity,
            "requires": sorted(rule.requires),
            "explanation": rule.explanation(),
        }
        for code, rule in sorted(rules.items())
    ]
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"
