"""text: ruff-like lines, then the skipped rules with their reasons, then a one-line summary."""

from __future__ import annotations

from ..base import Report, Rule
from . import concise
from .common import counts, plural


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    findings = concise.render(report, rules)
    skipped = "".join(
        f"skipped {code} {rules[code].name}: {reason}\n" for code, reason in sorted(report.skipped.items())
    )
    summary = f"{counts(report)}; {plural(len(report.skipped), 'rule')} skipped\n"
    return "\n".join(part for part in (findings, skipped, summary) if part)
