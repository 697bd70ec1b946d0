"""`scaffold check`, `scaffold rule` and `scaffold rules` on rendered projects: exit codes, selection,
configuration in [tool.scaffold.check], and a default path that imports none of the heavy libraries."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from conftest import REPO_ROOT
from scaffold.check.engine import all_rules
from scaffold.cli import cli

HEAVY_MODULES = ("mlflow", "dvc", "pandas", "cookiecutter", "jinja2", "ruamel", "sklearn")


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(default_project, copy, symlinks=True)
    return copy


@pytest.fixture
def broken(project: Path) -> Path:
    """The train stage declares a parameter params.yaml lacks: exactly what PA101 finds."""
    dvc_yaml = project / "dvc.yaml"
    text = dvc_yaml.read_text()
    assert text.count("      - train\n") == 1
    dvc_yaml.write_text(text.replace("      - train\n", "      - train\n      - train.no_such_key\n"))
    return project


def scaffold(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def configure(project: Path, table: str) -> None:
    with (project / "pyproject.toml").open("a") as file:
        file.write(f"\n[tool.scaffold.check]\n{table}\n")


def test_a_fresh_project_has_no_findings(default_project: Path) -> None:
    result = scaffold("check", str(default_project))
    assert result.exit_code == 0, result.output
    assert result.stdout == "No findings; 0 rules skipped\n"


def test_a_finding_at_error_level_exits_1(broken: Path) -> None:
    result = scaffold("check", str(broken), "--format", "concise")
    assert result.exit_code == 1
    line = next(line for line in result.stdout.splitlines() if " PA101 " in line)
    assert line.startswith("dvc.yaml:")
    assert "'train.no_such_key'" in line


def test_check_defaults_to_the_current_directory(broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(broken)
    result = scaffold("check")
    assert result.exit_code == 1
    assert "dvc.yaml:" in result.stdout and " PA101 " in result.stdout


def test_exit_zero_reports_but_succeeds(broken: Path) -> None:
    result = scaffold("check", str(broken), "--exit-zero")
    assert result.exit_code == 0
    assert " PA101 " in result.stdout


def test_select_runs_only_the_selected_family(broken: Path) -> None:
    result = scaffold("check", str(broken), "--select", "DV,ST")
    assert result.exit_code == 0, result.output
    assert result.stdout == "No findings; 0 rules skipped\n"


def test_ignore_on_the_command_line_skips_with_its_reason(broken: Path) -> None:
    result = scaffold("check", str(broken), "--select", "PA", "--ignore", "pa101")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "skipped PA101 stage-param-missing: ignored: --ignore\n\nNo findings; 1 rule skipped\n"
    )


def test_ignore_in_pyproject_reports_the_reason(broken: Path) -> None:
    configure(broken, 'ignore = { PA101 = "train reads that key elsewhere" }')
    result = scaffold("check", str(broken), "--select", "PA", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "- PA101 stage-param-missing: ignored: train reads that key elsewhere\n" in result.stdout


@pytest.mark.parametrize("where", ["command-line", "pyproject"])
def test_ignore_all_skips_every_rule_with_its_reason(broken: Path, where: str) -> None:
    if where == "pyproject":
        reason, arguments = "adopting the standard step by step", []
        configure(broken, f'ignore = {{ ALL = "{reason}", PA101 = "train reads that key elsewhere" }}')
    else:
        reason, arguments = "--ignore", ["--ignore", "ALL"]

    result = scaffold("check", str(broken), *arguments)

    assert result.exit_code == 0, result.output
    rules = all_rules()
    specific = {"PA101": "train reads that key elsewhere"} if where == "pyproject" else {}
    assert [line for line in result.stdout.splitlines() if line.startswith("skipped ")] == [
        f"skipped {code} {rule.name}: ignored: {specific.get(code, reason)}" for code, rule in rules.items()
    ]
    assert result.stdout.endswith(f"\nNo findings; {len(rules)} rules skipped\n")


def test_select_in_pyproject_is_replaced_by_the_command_line(broken: Path) -> None:
    configure(broken, 'select = ["ST"]')
    assert scaffold("check", str(broken)).exit_code == 0
    assert scaffold("check", str(broken), "--select", "PA").exit_code == 1


def test_a_rule_downgraded_to_warning_does_not_fail_the_check(broken: Path) -> None:
    configure(broken, 'severity = { PA = "warning" }')
    result = scaffold("check", str(broken), "--select", "PA", "--format", "json")
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    assert [(finding["code"], finding["severity"]) for finding in findings] == [("PA101", "warning")]


def test_output_file_gets_the_report(broken: Path, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "scaffold.sarif"
    result = scaffold(
        "check", str(broken), "--select", "PA", "--output-format", "sarif", "--output-file", str(target)
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    results = json.loads(target.read_text())["runs"][0]["results"]
    assert [result["ruleId"] for result in results] == ["PA101"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "dvc.yaml"
    assert str(broken) not in target.read_text()


def test_a_pyproject_that_does_not_parse_is_no_traceback(project: Path) -> None:
    (project / "pyproject.toml").write_text('[project\nname = "x"\n')
    result = scaffold("check", str(project), "--format", "concise")
    assert isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert result.exit_code == 1
    assert any(line.startswith("pyproject.toml:1:") for line in result.stdout.splitlines())


@pytest.mark.parametrize(
    ("table", "complaint"),
    [
        ('severity = { PA101 = "fatal" }', "severity.PA101 must be one of error, warning, got 'fatal'"),
        ('select = "PA"', "select must be a list of rule codes or prefixes"),
        ("ignore = { PA101 = 1 }", 'ignore must be a table of CODE = "text"'),
        ('ignore = { XX9 = "gone" }', "ignore has an unknown rule code or prefix 'XX9'"),
        ('exclude = ["data"]', "has an unknown key 'exclude'"),
    ],
    ids=["severity", "select", "ignore-reason", "unknown-code", "unknown-key"],
)
def test_an_invalid_check_table_is_a_usage_error(project: Path, table: str, complaint: str) -> None:
    configure(project, table)
    result = scaffold("check", str(project))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {project / 'pyproject.toml'}: [tool.scaffold.check] {complaint}")
    assert result.stdout == ""


def test_an_unknown_selector_on_the_command_line_is_a_usage_error(project: Path) -> None:
    result = scaffold("check", str(project), "--select", "DV,ZZ")
    assert result.exit_code == 2
    assert "unknown rule code or prefix 'ZZ'" in result.stderr


@pytest.mark.parametrize("where", ["empty", "missing"])
def test_not_a_project_exits_2(tmp_path: Path, where: str) -> None:
    path = tmp_path if where == "empty" else tmp_path / "nowhere"
    result = scaffold("check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: not a project")


def test_rule_explains_one_rule() -> None:
    result = scaffold("rule", "dv101")
    assert result.exit_code == 0
    dv101 = all_rules()["DV101"]
    assert result.stdout.startswith(f"# stage-command-missing (DV101)\n\n{dv101.description()}\n\n")
    assert result.stdout.endswith(dv101.explanation() + "\n")


def test_an_unknown_rule_code_exits_2() -> None:
    result = scaffold("rule", "XX999")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown rule code 'XX999' (`scaffold rules` lists them)\n"


def test_rules_lists_every_registered_rule() -> None:
    rules = all_rules()
    lines = scaffold("rules").stdout.splitlines()
    assert [line.split()[0] for line in lines] == sorted(rules)
    listed = json.loads(scaffold("rules", "--format", "json").stdout)
    assert [(rule["code"], rule["name"]) for rule in listed] == [(c, r.name) for c, r in rules.items()]


def test_check_imports_none_of_the_heavy_libraries(default_project: Path) -> None:
    probe = (
        "import sys\n"
        "from scaffold.cli import main\n"
        f"sys.argv = ['scaffold', 'check', {str(default_project)!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n    print('exit', done.code)\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {set(HEAVY_MODULES)!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *_, exit_line, heavy = result.stdout.strip().splitlines()
    assert exit_line == "exit 0"  # it ran every check, and a fresh render passes them
    assert heavy == "[]"


def test_the_pre_commit_hook_runs_scaffold_check() -> None:
    [hook] = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["pass_filenames"]) == ("scaffold-check", "scaffold check", False)


def test_the_readme_rule_list_is_current() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    listed = readme.split("<!-- rules:start -->\n")[1].split("<!-- rules:end -->")[0]
    current = scaffold("rules", "--format", "markdown").stdout
    assert listed == current, "README rule list is stale: paste `scaffold rules --format markdown` into it"
