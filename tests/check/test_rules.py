"""`scaffold check` rules: a fresh render passes them all; breaking one rule in a copy of it gives that
rule's finding at the exact file and line; malformed files give findings, never a traceback."""

from __future__ import annotations

import inspect
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conftest import REPO_ROOT, git, render_into
from scaffold.check.base import Problem, Report, Rule
from scaffold.check.engine import all_fixtures, all_rules, run_checks
from scaffold.check.fixtures import Parsed, parse_json, parse_yaml
from scaffold.check.rules import FAMILIES
from scaffold.check.rules.containers import Instruction, parse_dockerfile
from scaffold.check.rules.template_version import Template
from scaffold.check.testing import compute_check
from scaffold.imports import ImportGraph

PACKAGE = "customer_churn"
CI = ".github/workflows/ci.yml"


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(default_project, copy, symlinks=True)
    return copy


def codes(report: Report) -> set[str]:
    return {finding.code for finding in report.findings}


def test_a_fresh_render_passes_every_rule(default_project: Path) -> None:
    report = run_checks(default_project)

    assert report.findings == []
    assert not report.skipped
    assert set(report.passed) | codes(report) == set(all_rules())


# Mutations: each breaks one rule in a copy of the rendered project.


def edit(relative: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        path = project / relative
        text = path.read_text()
        assert old in text, f"{old!r} is not in {relative}: the template changed, update the test"
        path.write_text(text.replace(old, new, 1))

    return mutate


def write(relative: str, text: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return mutate


def replace_line(relative: str, number: int, text: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        path = project / relative
        lines = path.read_text().splitlines(keepends=True)
        lines[number - 1] = text + "\n"
        path.write_text("".join(lines))

    return mutate


def delete(relative: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        path = project / relative
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return mutate


def commit(relative: str, content: bytes = b"a,b\n1,2\n") -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        path = project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        git(project, "add", "--force", relative)

    return mutate


def move(relative: str, to: str) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        (project / relative).rename(project / to)

    return mutate


def both(*mutations: Callable[[Path], None]) -> Callable[[Path], None]:
    def mutate(project: Path) -> None:
        for mutation in mutations:
            mutation(project)

    return mutate


def drop_ci_step(project: Path) -> None:
    """Take out every step that runs `scaffold check`."""
    path = project / CI
    text, count = re.subn(r"scaffold check --format", "scaffold --version --format", path.read_text())
    assert count == 3
    path.write_text(text)


def drop_dep(stage: str, dep: str) -> Callable[[Path], None]:
    """Take `dep` out of the deps of `stage` in dvc.yaml."""

    def mutate(project: Path) -> None:
        path = project / "dvc.yaml"
        lines = path.read_text().splitlines(keepends=True)
        first = lines.index(f"  {stage}:\n")
        last = next((n for n in range(first + 1, len(lines)) if re.match(r"\S|  \S", lines[n])), len(lines))
        found = [n for n in range(first, last) if lines[n] == f"      - {dep}\n"]
        assert len(found) == 1, f"{dep} is not a dep of {stage}: the template changed, update the test"
        del lines[found[0]]
        path.write_text("".join(lines))

    return mutate


def drop_healthcheck(project: Path) -> None:
    path = project / "Dockerfile.serve"
    text, count = re.subn(r"(?m)^HEALTHCHECK.*\\\n(?:.*\\\n)*.*\n", "", path.read_text())
    assert count == 1
    path.write_text(text)


def misspell_a_metric_target(project: Path) -> None:
    """`slas.metrics.<metric>: {min: ...}` becomes `{minimum: ...}`: a target has `min` and/or `max` only."""
    path = project / "model_contract.yaml"
    text, count = re.subn(r"(?m)^(    \w+: \{)min: ", r"\1minimum: ", path.read_text(), count=1)
    assert count == 1
    path.write_text(text)


BROKEN_YAML = "broken: key: value"

# (code, mutation, path, line: an int, or a regex matching the first line the finding must point to)
BREAKS: list[tuple[str, Callable[[Path], None], str, int | str]] = [
    ("ST001", delete(".dvc/config"), ".dvc/config", 1),
    (  # the raw data moved, still tracked and still the pipeline's input: only the folder is missing
        "ST002",
        both(
            move("data/raw", "data/source"),
            edit("dvc.yaml", "- data/raw/churn.csv", "- data/source/churn.csv"),
        ),
        "data/raw",
        1,
    ),
    ("ST003", write("src/other/stages/__init__.py", ""), "src", 1),
    ("ST004", replace_line("pyproject.toml", 4, "description = "), "pyproject.toml", 4),
    ("DV001", replace_line("dvc.yaml", 6, BROKEN_YAML), "dvc.yaml", 6),
    (
        "DV101",
        edit("dvc.yaml", f"{PACKAGE}.stages.prepare\n", f"{PACKAGE}.stages.missing\n"),
        "dvc.yaml",
        r"stages\.missing$",
    ),
    ("DV102", edit("dvc.yaml", "  train:\n", "  training:\n"), "dvc.yaml", r"^  training:$"),
    ("DV103", edit("dvc.yaml", "      - models/model\n", "      - build/model\n"), "dvc.yaml", "build/model"),
    ("DV104", commit("models/model/MLmodel", b"flavors: {}\n"), "dvc.yaml", r"^      - models/model$"),
    ("DV105", drop_dep("train", f"src/{PACKAGE}/schemas.py"), "dvc.yaml", r"^  train:$"),
    ("PA001", replace_line("params.yaml", 3, BROKEN_YAML), "params.yaml", 3),
    ("PA101", edit("dvc.yaml", "      - train\n", "      - trainer\n"), "dvc.yaml", "- trainer$"),
    ("DA001", commit("data/processed/extra.csv"), "data/processed/extra.csv", 1),
    ("DA002", commit("models/model.pkl", b"\x80\x04K\x01."), "models/model.pkl", 1),
    ("DA003", delete("data/raw/.gitignore"), "data/raw/churn.csv.dvc", r"path: churn\.csv"),
    ("DA004", write("data/raw/churn.csv.dvc", "outs:\n- md5: 0\n  path: [\n"), "data/raw/churn.csv.dvc", 4),
    ("DA005", delete("data/raw/churn.csv.dvc"), "dvc.yaml", r"^  prepare:$"),
    ("MC001", replace_line("model_contract.yaml", 6, BROKEN_YAML), "model_contract.yaml", 6),
    (
        "MC101",
        edit(
            "model_contract.yaml",
            "  protected_attribute: gender\n",
            "  protected_attribute: gender\n  x: 1\n",
        ),
        "model_contract.yaml",
        r"^  x: 1$",
    ),
    (
        "MC101",
        misspell_a_metric_target,
        "model_contract.yaml",
        r"^    \w+: \{minimum: ",
    ),
    (
        "MC102",
        edit("model_contract.yaml", "[0.8, 1.25]", "[1.25, 0.8]"),
        "model_contract.yaml",
        "disparate_impact",
    ),
    (  # the SLA changed, `make rules` not run: the p99 alert still fires over the old one
        "MC201",
        edit("model_contract.yaml", "inference_latency_p99_ms: 100", "inference_latency_p99_ms: 250"),
        "monitoring/prometheus/rules.yml",
        r"^    expr: job:prediction_latency_seconds:p99_rate5m\{",
    ),
    (
        "CI001",
        write(".github/workflows/broken.yml", "on: push\njobs: [\n"),
        ".github/workflows/broken.yml",
        3,
    ),
    ("CI101", edit(CI, "run: uv run pytest", "run: uv run python -m unittest"), CI, "^jobs:$"),
    ("CI102", drop_ci_step, CI, "^jobs:$"),
    ("CI103", edit(CI, "permissions:\n  contents: read", "env:\n  A: b"), CI, "^on:$"),
    ("DK001", edit("Dockerfile.serve", "USER 10001:10001", "USER root"), "Dockerfile.serve", "^USER root$"),
    (
        "DK002",
        edit("Dockerfile.train", "FROM python:3.11-slim-bookworm AS build", "FROM python AS build"),
        "Dockerfile.train",
        "^FROM python AS build$",
    ),
    ("DK003", drop_healthcheck, "Dockerfile.serve", "^FROM python:3.11-slim-bookworm$"),
    ("TV001", delete(".scaffold-answers.json"), ".scaffold-answers.json", 1),
    ("TV002", replace_line(".scaffold-answers.json", 3, '    "x": ,'), ".scaffold-answers.json", 3),
    (
        "TV101",
        edit(".scaffold-answers.json", '"_template_version": "', '"_template_version": "0.0.0-'),
        ".scaffold-answers.json",
        "_template_version",
    ),
    ("TV102", delete(f"src/{PACKAGE}/gate.py"), f"src/{PACKAGE}/gate.py", 1),
    ("TV103", edit("Makefile", "\ntest:", "\n<<<<<<< your project\ntest:"), "Makefile", "^<<<<<<< "),
    ("TV104", write("Makefile.rej", "@@ -1 +1 @@\n-a\n+b\n"), "Makefile.rej", 1),
    (
        "AP001",
        edit(
            f"src/{PACKAGE}/registry.py",
            "\n\ndef ",
            "\n\ndef old(client):\n    client.transition_model_version_stage('m', '1', 'Staging')\n\n\ndef ",
        ),
        f"src/{PACKAGE}/registry.py",
        "transition_model_version_stage",
    ),
    (
        "AP002",
        edit(f"src/{PACKAGE}/schemas.py", "import pandera.pandas as pa\n", "import pandera as pa\n"),
        f"src/{PACKAGE}/schemas.py",
        "^import pandera as pa$",
    ),
    (
        "AP003",
        edit("tests/test_schemas.py", "\nimport ", "\nfrom evidently.legacy.report import Report\nimport "),
        "tests/test_schemas.py",
        "evidently.legacy",
    ),
]


def line_of(project: Path, relative: str, expected: int | str) -> int:
    if isinstance(expected, int):
        return expected
    lines = (project / relative).read_text().splitlines()
    return next(number for number, text in enumerate(lines, 1) if re.search(expected, text))


@pytest.mark.parametrize(("code", "mutate", "path", "line"), BREAKS, ids=[row[0] for row in BREAKS])
def test_breaking_a_rule_reports_it_where_it_is(
    project: Path, code: str, mutate: Callable[[Path], None], path: str, line: int | str
) -> None:
    mutate(project)

    report = run_checks(project)

    found = [finding for finding in report.findings if finding.code == code]
    assert [(finding.path, finding.line) for finding in found] == [(path, line_of(project, path, line))]
    if code == "DA005":
        assert "reads data/raw/churn.csv, which no stage writes" in found[0].message
    if code == "DV105":  # the one module taken out of train's deps, and nothing else
        assert found[0].message.endswith(f"deps lack src/{PACKAGE}/schemas.py"), found[0].message
    assert found[0].severity == all_rules()[code].severity
    assert codes(report) == {code}, report.findings  # only the rule broken


def test_every_rule_has_a_breaking_test() -> None:
    assert {row[0] for row in BREAKS} == set(all_rules())


# Malformed files: a finding at the file and line, never a traceback.

MALFORMED = [
    ("dvc.yaml", "stages:\n  prepare:\n    cmd: x\n  train: [\n", "DV001", 5),
    ("params.yaml", "prepare:\n  seed: 1\n    split: 0.2\n", "PA001", 3),
    (CI, "on: push\njobs:\n  x: {\n", "CI001", 4),
    ("model_contract.yaml", "model:\n  name: x\n\tversion: 1\n", "MC001", 3),
    ("pyproject.toml", '[project]\nname = "x"\nversion = 1.2.3\n', "ST004", 3),
    ("data/raw/churn.csv.dvc", "outs:\n- path: 'churn.csv\n", "DA004", 3),
    (".scaffold-answers.json", '{"cookiecutter": {\n  "a": 1,\n}}\n', "TV002", 3),
]


@pytest.mark.parametrize(("relative", "text", "code", "line"), MALFORMED, ids=[row[0] for row in MALFORMED])
def test_a_malformed_file_is_a_finding_with_its_line(
    project: Path, relative: str, text: str, code: str, line: int
) -> None:
    (project / relative).write_text(text)

    report = run_checks(project)

    found = [finding for finding in report.findings if finding.code == code]
    assert [(finding.path, finding.line) for finding in found] == [(relative, line)], report.findings
    assert found[0].message.startswith("not valid"), found[0].message


# The rules' metadata: what `scaffold rule CODE` and the SARIF output print.


@pytest.mark.parametrize("code", sorted(all_rules()))
def test_rule_metadata(code: str) -> None:
    rule: type[Rule] = all_rules()[code]

    assert re.fullmatch(r"[A-Z]{2}\d{3}", code)
    assert code.startswith(rule.family)
    assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", rule.name)
    assert rule.description().endswith(".") and "\n" not in rule.description()
    assert len(rule.explanation().split("\n\n")) >= 2, "what is wrong; then why it matters and how to fix it"
    assert rule.requires <= set(all_rules())
    assert rule.severity in ("error", "warning")


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in all_rules().values()]
    assert len(names) == len(set(names))


FAMILY_MODULES = {
    "ST": "structure",
    "DV": "pipeline",
    "PA": "params",
    "DA": "data",
    "MC": "contract",
    "CI": "workflows",
    "DK": "containers",
    "TV": "template_version",
    "AP": "deprecated_api",
}


@pytest.mark.parametrize("family", FAMILIES, ids=lambda module: module.__name__.rpartition(".")[2])
def test_a_family_module_lists_exactly_the_rules_it_defines(family: ModuleType) -> None:
    defined = {
        value
        for value in vars(family).values()
        if isinstance(value, type) and issubclass(value, Rule) and "check" in vars(value)
    }
    assert set(family.RULES) == defined and len(family.RULES) == len(defined)
    assert {FAMILY_MODULES[rule.family] for rule in family.RULES} == {family.__name__.rpartition(".")[2]}


def test_every_fixture_a_rule_names_exists() -> None:
    known = {"root", *all_fixtures()}
    for code, rule in all_rules().items():
        assert set(inspect.signature(rule.check).parameters) <= known, code


@pytest.mark.parametrize("family", FAMILIES, ids=lambda module: module.__name__.rpartition(".")[2])
def test_a_family_fixture_serves_its_own_family_only(family: ModuleType) -> None:
    """Fixtures that several families use live in fixtures.py; the others beside their rules."""
    for fixture in family.FIXTURES:
        users = {
            rule.family
            for rule in all_rules().values()
            if fixture.__name__ in inspect.signature(rule.check).parameters
        }
        assert users <= {family.RULES[0].family}, fixture.__name__  # precommit: for the hook rules to come


# One-line checks of the cases a rendered project does not show.


def parsed(tmp_path: Path, name: str, text: str) -> Parsed:
    (tmp_path / name).write_text(text)
    return parse_json(tmp_path, name) if name.endswith(".json") else parse_yaml(tmp_path, name)


def dockerfile(text: str) -> dict[str, list[Instruction]]:
    return {"Dockerfile.serve": parse_dockerfile(text)}


def test_large_files_are_reported_but_lock_files_are_not() -> None:
    sizes = {"notes/big.csv": 3 * 1024 * 1024, "uv.lock": 5 * 1024 * 1024, "README.md": 10}
    assert [problem.path for problem in compute_check("DA002", git_file_sizes=sizes)] == ["notes/big.csv"]


def test_outputs_with_cache_false_may_be_in_git(tmp_path: Path) -> None:
    dvc_yaml = parsed(
        tmp_path,
        "dvc.yaml",
        "stages:\n  a:\n    cmd: x\n    outs:\n      - r.json:\n          cache: false\n",
    )
    assert compute_check("DV104", dvc_yaml=dvc_yaml, git_files=["r.json"]) == []


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("FROM python:3.11-slim AS base\nFROM base\nFROM scratch\n", []),
        ("FROM python@sha256:abc\nFROM ghcr.io/org/img:1.2\n", []),
        ("ARG BASE=python:3.11-slim\nFROM ${BASE}\nFROM $BASE AS second\n", []),
        ("ARG BASE\nFROM ${BASE}\n", [2]),
        ("FROM python\nFROM python:latest\nFROM localhost:5000/img\n", [1, 2, 3]),
        (
            "FROM python:3.11 AS b\nFROM python:3.11\nCOPY --from=b /a /\nCOPY --from=uv:latest /uv /\n",
            [4],
        ),
    ],
)
def test_base_image_pins(text: str, lines: list[int]) -> None:
    assert [problem.line for problem in compute_check("DK002", dockerfiles=dockerfile(text))] == lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("FROM a:1\nUSER app\nFROM b:1\n", [3]),  # the final stage runs as root
        ("FROM a:1\nUSER 0:0\n", [2]),
        ("FROM a:1\nUSER root\nRUN x\nUSER 10001\n", []),
    ],
)
def test_images_run_as_non_root(text: str, lines: list[int]) -> None:
    assert [problem.line for problem in compute_check("DK001", dockerfiles=dockerfile(text))] == lines


def test_healthcheck_none_counts_as_missing() -> None:
    problems = compute_check("DK003", dockerfiles=dockerfile("FROM a:1\nHEALTHCHECK NONE\n"))
    assert [problem.line for problem in problems] == [2]
    assert compute_check("DK003", dockerfiles={"Dockerfile.train": []}) == []


def test_write_all_permissions(tmp_path: Path) -> None:
    workflow = parsed(tmp_path, "ci.yml", "on: push\npermissions: write-all\njobs:\n  a: {}\n")
    assert [problem.line for problem in compute_check("CI103", workflows={"ci.yml": workflow})] == [2]


def test_make_test_counts_as_running_the_tests(tmp_path: Path) -> None:
    text = "on: push\njobs:\n  a:\n    steps:\n      - run: make lint test\n"
    assert compute_check("CI101", workflows={"ci.yml": parsed(tmp_path, "ci.yml", text)}) == []


def test_schema_errors_name_the_key(tmp_path: Path, default_project: Path) -> None:
    schema = json.loads((default_project / f"src/{PACKAGE}/model_contract.schema.json").read_text())
    text = (default_project / "model_contract.yaml").read_text().replace("owner: ", "ownr: ")
    problems = compute_check(
        "MC101",
        contract=parsed(tmp_path, "c.yaml", text),
        contract_schema=schema,
        package=PACKAGE,
        task="binary",
    )
    assert sorted(problem.message for problem in problems) == [
        "model.ownr: unknown key (not in the contract's schema)",
        "model: 'owner' is a required property",
    ]


def test_prometheus_rules_follow_the_contract(tmp_path: Path) -> None:
    contract = parsed(tmp_path, "c.yaml", "slas: {inference_latency_p99_ms: 200}\nmonitoring: {alerts: {}}\n")
    rules = "groups:\n- rules:\n  - alert: Slow\n    expr: p99 > {}\n    labels: {{contract: {}}}\n"
    fresh = parsed(tmp_path, "r.yml", rules.format("0.2", "slas.inference_latency_p99_ms"))
    stale = parsed(tmp_path, "s.yml", rules.format("0.1", "slas.inference_latency_p99_ms"))
    unheld = parsed(tmp_path, "u.yml", rules.format("0.2", "slas.other"))
    absent = Parsed("k8s/base/prometheusrule.yaml")

    def check(rules: Parsed, manifest: Parsed = absent) -> list[Problem]:
        return compute_check(
            "MC201", contract=contract, prometheus_rules=rules, prometheus_rule_manifest=manifest
        )

    assert check(fresh) == []
    assert check(Parsed("absent.yml")) == []
    [problem] = check(stale)
    assert (problem.line, problem.message) == (
        4,
        "alert Slow fires over 0.1, but slas.inference_latency_p99_ms in model_contract.yaml gives 0.2: "
        "run `make rules`",
    )
    [problem] = check(unheld)
    assert problem.message.startswith("no alert holds slas.inference_latency_p99_ms")

    # The PrometheusRule object carries the same groups under `spec`: a stale one is named at its line.
    manifest = "kind: PrometheusRule\nspec:\n" + "".join(f"  {line}\n" for line in rules.splitlines())
    assert (
        check(fresh, parsed(tmp_path, "m.yaml", manifest.format("0.2", "slas.inference_latency_p99_ms")))
        == []
    )
    [problem] = check(
        fresh, parsed(tmp_path, "n.yaml", manifest.format("0.1", "slas.inference_latency_p99_ms"))
    )
    assert (problem.path, problem.line) == ("n.yaml", 6)
    assert problem.message.startswith("alert Slow fires over 0.1, but slas.inference_latency_p99_ms")


def test_pyproject_needs_a_project_table() -> None:
    problems = compute_check("ST004", pyproject=Parsed("pyproject.toml", True, {"tool": {}}))
    assert [problem.message for problem in problems] == [
        "pyproject.toml has no `[project]` table with a `name`"
    ]


def answers(tmp_path: Path, **context: str) -> Parsed:
    return parsed(tmp_path, "answers.json", json.dumps({"cookiecutter": context}, indent=2))


@pytest.mark.parametrize(("recorded", "behind"), [("0.9.1", True), ("1.0.0", False), ("1.2", False)])
def test_template_version_behind(tmp_path: Path, recorded: str, behind: bool) -> None:
    template = Template("1.0.0", [])
    problems = compute_check(
        "TV101", answers=answers(tmp_path, _template_version=recorded), template=template
    )
    assert bool(problems) is behind


TEMPLATE_CONFIG = json.loads((REPO_ROOT / "template/cookiecutter.json").read_text())
OPTION_FILES = [
    "LICENSE",
    "k8s/base/deployment.yaml",
    "src/{{cookiecutter.package_name}}/__init__.py",
    "src/{{cookiecutter.package_name}}/kubeflow.py",
    "tests/test_k8s.py",
    "tests/test_kubeflow.py",
]


def test_a_proprietary_project_has_no_license(tmp_path: Path) -> None:
    template = Template(
        "1.0.0", ["LICENSE", "src/{{cookiecutter.package_name}}/__init__.py"], TEMPLATE_CONFIG
    )
    recorded = answers(tmp_path, license="Proprietary", package_name="pkg", _template_version="1.0.0")
    problems = compute_check("TV102", answers=recorded, template=template, root=tmp_path)
    assert [problem.path for problem in problems] == ["src/pkg/__init__.py"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, ["LICENSE", "src/pkg/__init__.py"]),  # recorded before the options existed: their defaults
        (
            {"license": "Apache-2.0", "deploy_target": "kubernetes", "orchestrator": "kubeflow"},
            [*(name.replace("{{cookiecutter.package_name}}", "pkg") for name in OPTION_FILES)],
        ),
        ({"license": "Proprietary", "deploy_target": "docker"}, ["src/pkg/__init__.py"]),
    ],
    ids=["defaults", "every-option", "proprietary-docker"],
)
def test_the_files_an_answer_keeps_come_from_the_templates_declaration(
    tmp_path: Path, options: dict[str, str], expected: list[str]
) -> None:
    template = Template("1.0.0", OPTION_FILES, TEMPLATE_CONFIG)
    recorded = answers(tmp_path, package_name="pkg", _template_version="1.0.0", **options)
    problems = compute_check("TV102", answers=recorded, template=template, root=tmp_path)
    assert sorted(problem.path for problem in problems) == expected


def test_deprecated_apis_give_line_and_column() -> None:
    code = "# client.transition_model_version_stage()\nx = 1; client.transition_model_version_stage(n)\n"
    problems = compute_check("AP001", python_files={"src/a.py": code})
    assert [(problem.line, problem.column) for problem in problems] == [(2, 15)]
    imports = "from pandera import Field\nfrom pandera import typing\nfrom evidently import legacy\n"
    assert [p.line for p in compute_check("AP002", python_files={"a.py": imports})] == [1]
    assert [p.line for p in compute_check("AP003", python_files={"a.py": imports})] == [3]


def stage(**keys: Any) -> Parsed:
    """A dvc.yaml with one stage `a` and, when given, a stage `b` producing `b_outs`."""
    b_outs = keys.pop("b_outs", None)
    stages = {"a": {"cmd": "x", **keys}}
    if b_outs is not None:
        stages["b"] = {"cmd": "y", "outs": b_outs}
    return Parsed("dvc.yaml", True, {"stages": stages}, {("stages", "a"): 2})


def pointer(relative: str, path: str) -> dict[str, Parsed]:
    return {relative: Parsed(relative, True, {"outs": [{"md5": "0", "path": path}]})}


@pytest.mark.parametrize(
    ("dvc_yaml", "dvc_files", "unversioned"),
    [
        (stage(deps=["data/raw/a.csv", "src/x.py", "params.json"]), {}, ["data/raw/a.csv"]),
        (stage(deps=["data/raw/a.csv"]), pointer("data/raw/a.csv.dvc", "a.csv"), []),
        (stage(deps=["./data/raw/a.csv"]), pointer("data/raw.dvc", "raw"), []),  # inside a tracked folder
        (
            stage(deps=["data/features/a.csv"], b_outs=["data/features"]),
            {},
            [],
        ),  # inside a stage's out folder
        (stage(deps=["data/features"], b_outs=["data/features/a.csv"]), {}, ["data/features"]),
        (stage(deps=["raw/a.csv"], wdir="data"), pointer("data/raw/a.csv.dvc", "a.csv"), []),
        (stage(deps=["data/${item}.csv"]), {}, []),  # DVC's templating: not ours to resolve
    ],
    ids=["untracked", "dvc-file", "tracked-folder", "out-folder", "folder-of-outs", "wdir", "templated"],
)
def test_unversioned_stage_inputs(
    dvc_yaml: Parsed, dvc_files: dict[str, Parsed], unversioned: list[str]
) -> None:
    problems = compute_check("DA005", dvc_yaml=dvc_yaml, dvc_files=dvc_files)
    assert [problem.message.split(" reads ")[1].split(",")[0] for problem in problems] == unversioned
    assert all((problem.path, problem.line) == ("dvc.yaml", 2) for problem in problems)


STAGE_CODE = {
    "src/pkg/stages/a.py": "from ..schemas import SCHEMAS\nimport pkg.paths\n",
    "src/pkg/schemas.py": "from .features import TARGET\n",
    "src/pkg/features.py": "",
    "src/pkg/paths.py": "",
}
ALL_OF_A = ["src/pkg/features.py", "src/pkg/paths.py", "src/pkg/schemas.py", "src/pkg/stages/a.py"]


@pytest.mark.parametrize(
    ("keys", "missing"),
    [
        ({"cmd": "python -m pkg.stages.a", "deps": ALL_OF_A}, []),
        ({"cmd": "python -m pkg.stages.a", "deps": ALL_OF_A[1:]}, ["src/pkg/features.py"]),  # via schemas
        ({"cmd": "python -m pkg.stages.a", "deps": ["src/pkg/stages/a.py"]}, ALL_OF_A[:3]),
        ({"cmd": "python -m pkg.stages.a", "deps": ["src/pkg/"]}, []),  # a folder holding them
        ({"cmd": "python3 src/pkg/stages/a.py --x 1", "deps": ["src/pkg/stages/a.py"]}, ALL_OF_A[:3]),
        ({"cmd": "python stages/a.py", "wdir": "src/pkg", "deps": ["../../src/pkg"]}, []),
        ({"cmd": ["echo start", "python -m pkg.stages.a"], "deps": []}, ALL_OF_A),
        ({"cmd": "python -m othertool.run", "deps": []}, []),  # not the project's code
        ({"cmd": "dvc exp show", "deps": []}, []),
    ],
    ids=["complete", "transitive", "own-only", "folder", "script", "wdir", "cmd-list", "other", "no-python"],
)
def test_a_stage_lists_what_its_code_imports(keys: dict[str, Any], missing: list[str]) -> None:
    problems = compute_check("DV105", dvc_yaml=stage(**keys), import_graph=ImportGraph("pkg", STAGE_CODE.get))
    assert [problem.message.partition(" deps lack ")[2].split(", ") for problem in problems] == (
        [missing] if missing else []
    )
    assert all((problem.path, problem.line) == ("dvc.yaml", 2) for problem in problems)


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_every_tasks_stages_list_what_their_code_imports(tmp_path: Path, task: str) -> None:
    """The default render (binary) passes every rule above; each task's stages run its own code."""
    project = render_into(tmp_path, {"task": task})
    assert run_checks(project, select=["DV105"]).findings == []


GITLAB_PIPELINE = """\
.uv:
  before_script: [uv sync --locked]
test:
  extends: [.uv]
  script: [uv run pytest]
deploy:
  environment: production
  rules:
    - if: $CI_COMMIT_TAG
"""


def gitlab(tmp_path: Path, text: str) -> dict[str, Parsed]:
    return {".gitlab-ci.yml": parsed(tmp_path, ".gitlab-ci.yml", text)}


def test_a_gitlab_pipeline_is_ci_and_its_scripts_are_steps(tmp_path: Path) -> None:
    assert compute_check("CI001", workflows=gitlab(tmp_path, GITLAB_PIPELINE)) == []
    assert compute_check("CI101", workflows=gitlab(tmp_path, GITLAB_PIPELINE)) == []
    unit = GITLAB_PIPELINE.replace("uv run pytest", "uv run python -m unittest")
    [problem] = compute_check("CI101", workflows=gitlab(tmp_path, unit))
    assert (problem.path, problem.message) == (
        ".gitlab-ci.yml",
        "no job of .gitlab-ci.yml runs the tests (pytest)",
    )
    hidden_only = "stages: [test]\n.template:\n  script: [uv run pytest]\n"
    assert [p.message for p in compute_check("CI001", workflows=gitlab(tmp_path, hidden_only))] == [
        ".gitlab-ci.yml defines no job"
    ]


@pytest.mark.parametrize(
    ("rules", "lines"),
    [
        ("  rules:\n    - if: $CI_COMMIT_TAG\n", []),
        ("", [6]),  # no rules: every pipeline, merge requests' too
        ('  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n', [6]),
        ("  rules:\n    - when: manual\n", [6]),  # a rule with no `if` matches every pipeline
        (
            '  rules:\n    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'
            "      when: never\n    - if: $X\n",
            [],
        ),
        ("  only: [tags]\n", []),
    ],
)
def test_a_gitlab_job_with_an_environment_never_runs_for_merge_requests(
    tmp_path: Path, rules: str, lines: list[int]
) -> None:
    text = (
        GITLAB_PIPELINE.split("deploy:")[0]
        + "deploy:\n  environment: production\n  script: [./deploy]\n"
        + rules
    )
    assert [p.line for p in compute_check("CI103", workflows=gitlab(tmp_path, text))] == lines
