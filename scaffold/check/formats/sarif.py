"""sarif: SARIF 2.1.0 for GitHub code scanning: every rule with its help; results with relative uris.

Skipped rules (ignored, or a prerequisite failed) are tool configuration notifications of the invocation, so
the log says why a rule did not run, as the text format does.
"""

from __future__ import annotations

import json
from typing import Any

from ... import __version__
from ..base import Finding, Report, Rule
from .common import ordered

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def render(report: Report, rules: dict[str, type[Rule]]) -> str:
    codes = sorted(rules)
    index = {code: position for position, code in enumerate(codes)}
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "scaffold",
                        "version": __version__,
                        "rules": [_descriptor(rules[code]) for code in codes],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolConfigurationNotifications": [
                            {
                                "level": "note",
                                "message": {"text": f"{code} skipped: {reason}"},
                                "associatedRule": {"id": code, "index": index[code]},
                            }
                            for code, reason in sorted(report.skipped.items())
                        ],
                    }
                ],
                "results": [_result(finding, index[finding.code]) for finding in ordered(report)],
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    explanation = rule.explanation() or rule.description()
    descriptor: dict[str, Any] = {
        "id": rule.code(),
        "name": rule.name,
        "shortDescription": {"text": rule.description()},
        "fullDescription": {"text": " ".join(explanation.split("\n\n")[0].split())},
        "help": {"text": explanation, "markdown": explanation},
        "defaultConfiguration": {"level": rule.severity},
    }
    if rule.url:
        descriptor["helpUri"] = rule.url
    return descriptor


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    return {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": finding.severity,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.path.replace("\\", "/"), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.line, "startColumn": finding.column},
                }
            }
        ],
    }
