"""gitlab: a Code Quality report, the JSON array GitLab shows in a merge request's Code Quality widget.

GitLab compares the reports of a merge request's source and target by `fingerprint`: it must be the same for
the same problem from one run to the next, and differ between two problems. It is derived from the rule, the
file and the message (not the line, so that a problem that moves down the file is not reported as new), plus
the rank among findings identical in those three, so that each one stays unique.
"""

from __future__ import annotations

import hashlib
import json

from ..base import Report, Rule
from .common import ordered

# scaffold's severities in GitLab's set (info, minor, major, critical, blocker).
SEVERITY = {"error": "major", "warning": "minor"}


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    seen: dict[tuple[str, str, str], int] = {}
    issues = []
    for finding in ordered(report):
        identity = (finding.code, finding.path, finding.message)
        rank = seen[identity] = seen.get(identity, -1) + 1
        key = "\0".join([*identity, str(rank)])
        issues.append(
            {
                "description": f"{finding.code} {finding.message}",
                "check_name": f"{finding.code} {rules[finding.code].name}",
                "fingerprint": hashlib.sha256(key.encode("utf-8")).hexdigest(),
                "severity": SEVERITY.get(finding.severity, "info"),
                "location": {"path": finding.path, "lines": {"begin": finding.line}},
            }
        )
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
