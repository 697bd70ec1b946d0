"""What several formats share: the findings in order, and the counts said in words."""

from __future__ import annotations

from ..base import Finding, Report


def ordered(report: Report) -> list[Finding]:
    return sorted(report.findings)


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def counts(report: Report) -> str:
    """`2 findings (1 error, 1 warning)`, or `No findings` when there is none."""
    if not report.findings:
        return "No findings"
    errors = len(report.errors)
    warnings = len(report.findings) - errors
    kinds = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    return f"{plural(len(report.findings), 'finding')} ({kinds})"


def location(finding: Finding) -> str:
    return f"{finding.path}:{finding.line}:{finding.column}"
