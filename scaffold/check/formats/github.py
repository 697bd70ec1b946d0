"""github: workflow commands that GitHub Actions shows as annotations on the pull request's files."""

from __future__ import annotations

from ..base import Report, Rule
from .common import ordered


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    lines = []
    for finding in ordered(report):
        properties = {
            "file": finding.path,
            "line": finding.line,
            "col": finding.column,
            "title": f"{finding.code} {rules[finding.code].name}",
        }
        fields = ",".join(f"{key}={_escape_property(str(value))}" for key, value in properties.items())
        lines.append(f"::{finding.severity} {fields}::{_escape_data(finding.message)}\n")
    return "".join(lines)


def _escape_data(value: str) -> str:
    """As the Actions toolkit does (`escapeData` in @actions/core)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")
