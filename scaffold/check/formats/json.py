"""json: a plain list of findings, as ruff's `--output-format json` is."""

from __future__ import annotations

import json

from ..base import Report, Rule
from .common import ordered


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    findings = [
        {
            "code": finding.code,
            "name": rules[finding.code].name,
            "message": finding.message,
            "path": finding.path,
            "line": finding.line,
            "column": finding.column,
            "severity": finding.severity,
        }
        for finding in ordered(report)
    ]
    return json.dumps(findings, indent=2, ensure_ascii=False) + "\n"
