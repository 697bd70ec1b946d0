"""concise: one `path:line:col: CODE message` line per finding, and nothing else."""

from __future__ import annotations

from ..base import Report, Rule
from .common import location, ordered


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    return "".join(f"{location(finding)}: {finding.code} {finding.message}\n" for finding in ordered(report))
