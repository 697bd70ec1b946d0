"""markdown: a job summary (`>> $GITHUB_STEP_SUMMARY`): a heading with counts, a table, the skipped rules."""

from __future__ import annotations

from ..base import Report, Rule
from .common import counts, location, ordered


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    parts = [f"## scaffold check: {counts(report)}\n"]
    if report.findings:
        rows = "".join(
            f"| {finding.code} | {rules[finding.code].name} | `{location(finding)}` | "
            f"{_cell(finding.message)} |\n"
            for finding in ordered(report)
        )
        parts.append("| Code | Rule | Location | Message |\n| --- | --- | --- | --- |\n" + rows)
    if report.skipped:
        skipped = sorted(report.skipped.items())
        items = "".join(f"- {code} {rules[code].name}: {_cell(reason)}\n" for code, reason in skipped)
        parts.append(f"### Skipped rules\n\n{items}")
    return "\n".join(parts)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
