"""`scaffold add-stage`: a real stage wired into the pipeline, the rest of each file byte for byte, and
every bad invocation refused with exit 2 and no file changed."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import dev_tool, fail_replace_on, git, render_into
from scaffold import atomic
from scaffold.cli import cli
from scaffold.imports import ImportGraph
from scaffold.stages import Project, StageRequest, plan_stage


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(default_project, copy, symlinks=True)
    return copy


def add_stage(project: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["add-stage", *args, "--project", str(project)])
    return result.exit_code, result.output


def snapshot(project: Path) -> dict[str, str]:
    return {
        path.relative_to(project).as_posix(): hashlib.md5(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.parts and ".dvc" not in path.parts
    }


def line_of(path: Path, text: str) -> int:
    """The number of the first line of `path` that starts with `text`."""
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.startswith(text))


def dvc(project: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=project, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_featurize_after_prepare_adds_and_rewires_only(project: Path) -> None:
    original = (project / "dvc.yaml").read_text()
    original_params = (project / "params.yaml").read_text()

    code, output = add_stage(project, "featurize", "--after", "prepare", "--params", "scale=1.5")

    assert code == 0, output
    text = (project / "dvc.yaml").read_text()
    block = text[text.index("  featurize:") : text.index("  train:")]
    assert "--input data/processed/train.csv --output data/featurize/train.csv" in block
    # Removing the new block and undoing the rewiring gives the original file back, byte for byte.
    assert text.replace(block, "").replace("data/featurize/", "data/processed/") == original
    assert "--train-data data/featurize/train.csv" in text and "--test-data data/featurize/test.csv" in text
    assert (project / "params.yaml").read_text() == original_params + "\nfeaturize:\n  scale: 1.5\n"
    assert (project / "src/customer_churn/stages/featurize.py").is_file()
    assert (project / "tests/stages/test_featurize.py").is_file()
    assert "featurize" in dvc(project, "dag")  # DVC's own parser accepts the result
    assert dvc(project, "stage", "list", "--name-only").split() == [
        "prepare",
        "featurize",
        "train",
        "evaluate",
    ]


def stage_deps(project: Path, name: str) -> list[str]:
    entries = yaml.safe_load((project / "dvc.yaml").read_text())["stages"][name]["deps"]
    return [entry if isinstance(entry, str) else next(iter(entry)) for entry in entries]


@pytest.mark.parametrize(
    ("args", "modules"),
    [
        ([], ["errors", "features", "frames", "schemas"]),  # schemas.py imports the feature spec and reader
        (
            ["--params", "scale=1.5"],
            ["config", "errors", "features", "frames", "paths", "schemas"],
        ),  # config: paths
    ],
    ids=["no-params", "params"],
)
def test_the_deps_are_the_frames_and_every_module_the_code_runs(
    project: Path, args: list[str], modules: list[str]
) -> None:
    package = Project.find(project).package
    assert add_stage(project, "featurize", "--after", "prepare", *args)[0] == 0
    assert stage_deps(project, "featurize") == [
        "data/processed/train.csv",
        "data/processed/test.csv",
        f"src/{package}/stages/featurize.py",
        *(f"src/{package}/{module}.py" for module in modules),
    ]


def defined_names(module: Path) -> set[str]:
    """The names a module defines or imports at its top level."""
    names: set[str] = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {target.id for target in targets if isinstance(target, ast.Name)}
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    return names


def imported_from_the_package(project: Path, source: Path) -> list[tuple[str, Path]]:
    """(name, the package's module it is imported from) of each `from MODULE import name` of `source`."""
    package = Project.find(project).package
    found = []
    for node in ast.walk(ast.parse(source.read_text())):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            parts = list(source.relative_to(project / "src").parent.parts)
            origin = ".".join([*parts[: len(parts) - node.level + 1], *filter(None, [node.module])])
        else:
            origin = node.module or ""
        if origin.split(".")[0] == package:
            base = project / "src" / Path(*origin.split("."))
            module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
            found += [(alias.name, module) for alias in node.names]
    return found


@pytest.mark.parametrize(
    "args", [[], ["--params", "k=1", "--metrics", "reports/f.json", "--plots", "reports/f.csv"]]
)
def test_the_code_imports_only_what_the_project_defines(project: Path, args: list[str]) -> None:
    """The generated code takes the schema from `SCHEMAS`: renaming a schema class cannot break it."""
    package = Project.find(project).package
    schemas = project / f"src/{package}/schemas.py"
    classes = [node.name for node in ast.parse(schemas.read_text()).body if isinstance(node, ast.ClassDef)]
    assert add_stage(project, "featurize", "--after", "prepare", *args)[0] == 0

    for written in (f"src/{package}/stages/featurize.py", "tests/stages/test_featurize.py"):
        source = project / written
        for name, module in imported_from_the_package(project, source):
            defined = defined_names(module) if module.name != "__init__.py" else set()
            assert name in defined or (module.parent / f"{name}.py").is_file(), f"{written}: {name}"
        assert not set(re.findall(r"\w+", source.read_text())) & set(classes), written  # no class name


def test_the_model_is_fitted_and_judged_on_the_new_stages_frames(project: Path) -> None:
    """paths.model_frames(), which the gate's holdout, the drift reference and the latency samples read,
    follows the rewiring (paths.py needs only the standard library and yaml: this interpreter runs it)."""
    package = Project.find(project).package
    assert add_stage(project, "featurize", "--after", "prepare")[0] == 0
    probe = (
        f"from {package}.paths import model_frames\nframes = model_frames()\nprint(frames.train, frames.test)"
    )
    result = subprocess.run(
        [sys.executable, "-B", "-c", probe],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
        capture_output=True,
        text=True,
        check=True,
    )
    outs = yaml.safe_load((project / "dvc.yaml").read_text())["stages"]["featurize"]["outs"]
    assert result.stdout.split() == outs == ["data/featurize/train.csv", "data/featurize/test.csv"]


def test_a_projects_own_templates_replace_the_shipped_ones(project: Path) -> None:
    """A team's templates/stage/stage.py.tmpl is what add-stage writes, and its imports are the deps."""
    package = Project.find(project).package
    template = project / "templates/stage/stage.py.tmpl"
    template.parent.mkdir(parents=True)
    template.write_text(
        '"""Stage $name, our way."""\n\nimport sys\n\nfrom ..metrics import METRICS\n'
        '#if params\nSECTION = "$name"\n#endif\n\n\ndef main() -> int:\n    return len(METRICS)\n'
    )
    assert add_stage(project, "featurize", "--after", "prepare", "--params", "k=1")[0] == 0
    module = project / f"src/{package}/stages/featurize.py"
    assert module.read_text() == (
        '"""Stage featurize, our way."""\n\nimport sys\n\nfrom ..metrics import METRICS\n'
        'SECTION = "featurize"\n\n\ndef main() -> int:\n    return len(METRICS)\n'
    )
    assert "def test_main_writes_each_output" in (project / "tests/stages/test_featurize.py").read_text()
    expected = ImportGraph(package, lambda path: read_or_none(project / path)).closure(
        f"src/{package}/metrics.py"
    )
    assert stage_deps(project, "featurize")[2:] == [f"src/{package}/stages/featurize.py", *expected]


def read_or_none(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#if nonsense\n#endif\n", ":1: expected `#if FLAG` or `#if not FLAG`"),
        ("x = 1\n#if params\n", ":2: #if without #endif"),
        ("#endif\n", ":1: #endif without #if"),
        (
            "#if params\n#else\n$name\n$stage\n#endif\n",
            ":4: unknown placeholder $stage (known: name, package,",
        ),
        ("cost = 5$\n", ":1: `$` not followed by a name (write a dollar sign as $$)"),
    ],
    ids=["flag", "unclosed", "endif", "placeholder", "dollar"],
)
def test_a_broken_template_is_named_with_its_line(project: Path, text: str, message: str) -> None:
    template = project / "templates/stage/test_stage.py.tmpl"
    template.parent.mkdir(parents=True)
    template.write_text(text)
    before = snapshot(project)
    code, output = add_stage(project, "featurize", "--after", "prepare")
    assert code == 2, output
    assert output.startswith(f"error: {template}{message}"), output
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ["featurize", "remove_duplicate_customer_records"])
@pytest.mark.parametrize("args", [[], ["--params", "k=1", "--metrics", "r/f.json", "--plots", "r/f.csv"]])
def test_the_written_code_is_lint_and_format_clean(project: Path, name: str, args: list[str]) -> None:
    """By the project's own ruff settings (pyproject.toml), as its `make lint` runs them."""
    assert add_stage(project, name, "--after", "prepare", *args)[0] == 0
    package = Project.find(project).package
    files = [f"src/{package}/stages/{name}.py", f"tests/stages/test_{name}.py"]
    for command in (["check", "--no-cache"], ["format", "--check", "--no-cache"]):
        result = subprocess.run(
            [dev_tool("ruff"), *command, *files], cwd=project, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_default_placement_is_after_the_last_stage(project: Path) -> None:
    original = (project / "dvc.yaml").read_text()
    params = (project / "params.yaml").read_bytes()

    code, output = add_stage(
        project, "summarize", "--deps", "reports/plots/roc.csv", "--plots", "reports/s.csv"
    )

    assert code == 0, output
    text = (project / "dvc.yaml").read_text()
    assert text.startswith(original + "\n  summarize:\n")
    assert "    plots:\n      - reports/s.csv:\n          cache: false\n" in text
    assert (project / "params.yaml").read_bytes() == params  # no --params: no section, not a byte changed
    dvc(project, "dag")


def test_dry_run_prints_the_diff_and_changes_nothing(project: Path) -> None:
    before = snapshot(project)
    code, output = add_stage(project, "featurize", "--after", "prepare", "--dry-run")
    assert code == 0
    assert "+++ b/src/customer_churn/stages/featurize.py" in output
    assert "-    cmd: python -m customer_churn.stages.train --train-data data/processed/train.csv" in output
    assert snapshot(project) == before


def test_a_failure_between_writes_changes_no_file(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = plan_stage(Project.find(project), StageRequest("featurize", after="prepare", params={"k": 1}))
    before = snapshot(project)
    fail_replace_on(monkeypatch, 2)
    with pytest.raises(OSError, match="injected"):
        atomic.write_all(plan.contents, root=plan.root)
    assert snapshot(project) == before
    assert not list(project.rglob("*.scaffold-tmp"))


BAD_INVOCATIONS = [
    (["1featurize"], "must be a lower-case Python identifier"),
    (["class"], "must be a lower-case Python identifier"),
    (["Featurize"], "must be a lower-case Python identifier"),
    (["x" * 41], "must be a lower-case Python identifier"),
    (["train"], "dvc.yaml:{train}: stage 'train' already exists"),  # {train}: the line of its key
    (["prepare", "--after", "train"], "stage 'prepare' already exists"),
    (["featurize", "--after", "nosuch"], "--after 'nosuch': no such stage"),
    (["featurize"], "stage 'evaluate' has no outs to read: give --deps"),
    (["featurize", "--deps", "data/nope.csv"], "dependency data/nope.csv does not exist"),
    (["featurize", "--deps", "models/run.json"], "reads CSV frames"),
    (["featurize", "--after", "prepare", "--outs", "models/model"], "give one --outs per input"),
    (
        ["featurize", "--after", "prepare", "--outs", "models/model/a.csv", "--outs", "data/b.csv"],
        "output models/model/a.csv overlaps models/model, owned by stage 'train'",
    ),
    (["featurize", "--after", "prepare", "--params", "not-a-key=1"], "--params expects KEY=VALUE"),
    (["featurize", "--after", "prepare", "--params", "novalue"], "--params expects KEY=VALUE"),
    (
        [
            "loop",
            "--after",
            "prepare",
            "--deps",
            "data/processed/train.csv",
            "--deps",
            "reports/plots/roc.csv",
        ],
        "would make a cycle",
    ),
]


@pytest.mark.parametrize(("args", "message"), BAD_INVOCATIONS, ids=lambda value: " ".join(value)[:40])
def test_bad_invocations_exit_2_and_change_nothing(project: Path, args: list[str], message: str) -> None:
    before = snapshot(project)
    code, output = add_stage(project, *args)
    assert code == 2, output
    message = message.format(train=line_of(project / "dvc.yaml", "  train:"))
    assert output.startswith("error: ") and message in output, output
    assert output.count("\n") == 1, output  # one readable line (a crash would be exit 1, not 2)
    assert snapshot(project) == before


def test_an_existing_module_is_not_overwritten(project: Path) -> None:
    module = project / "src/customer_churn/stages/featurize.py"
    module.write_text("# mine\n")
    code, output = add_stage(project, "featurize", "--after", "prepare")
    assert code == 2 and "stage module 'featurize' already exists" in output
    assert module.read_text() == "# mine\n"


@pytest.mark.parametrize(
    ("file", "line"), [("dvc.yaml", "stages: [\n"), ("params.yaml", "prepare: {\n")], ids=["dvc", "params"]
)
def test_malformed_yaml_is_named_with_its_line(project: Path, file: str, line: str) -> None:
    path = project / file
    path.write_text(line + path.read_text())
    before = snapshot(project)
    code, output = add_stage(project, "featurize", "--after", "prepare", "--params", "k=1")
    assert code == 2, output
    assert re.match(rf"error: {re.escape(str(path))}:\d+: not valid YAML: ", output), output
    assert snapshot(project) == before


def test_outside_a_project_is_a_clear_error(tmp_path: Path) -> None:
    code, output = add_stage(tmp_path, "featurize")
    assert code == 2 and "not a scaffold project" in output


def runner(project: Path) -> Callable[..., str]:
    """Run a command in `project`; its output, or a failure showing it."""

    def run(*command: str) -> str:
        result = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
        return result.stdout + result.stderr

    return run


def assert_conforms(project: Path) -> None:
    from scaffold.check.engine import run_checks

    git(project, "add", "--all")
    assert run_checks(project).findings == []


@pytest.mark.slow
def test_the_new_stage_runs_is_tested_and_passes_the_projects_checks(project: Path) -> None:
    """The acceptance story: add, reproduce, test, lint, check, and git sees only added and rewired lines;
    then a change to the schema, which every stage's code imports, puts every stage out of date."""
    run, package = runner(project), Project.find(project).package
    run("uv", "sync", "--locked", "--quiet")
    run("uv", "run", "dvc", "repro")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "Start from the scaffold template")
    code, output = add_stage(project, "featurize", "--after", "prepare", "--params", "scale=1.5")
    assert code == 0, output
    # DVC 3.67's whole-pipeline `repro --dry` hashes the inputs of every stage, and train's do not exist until
    # featurize has run: dry-run the new stage, then let the real repro show the order.
    assert "Running stage 'featurize'" in run("uv", "run", "dvc", "repro", "--dry", "featurize")

    repro = run("uv", "run", "dvc", "repro")
    assert repro.index("Running stage 'featurize'") < repro.index("Running stage 'train'")
    assert "Running stage 'evaluate'" in repro
    assert "Data and pipelines are up to date." in run("uv", "run", "dvc", "status")
    run("uv", "run", "ruff", "check", ".")
    run("uv", "run", "ruff", "format", "--check", ".")
    tests = run("uv", "run", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "tests/stages")
    assert "PASSED tests/stages/test_featurize.py::test_main_writes_each_output_with_its_rows" in tests
    assert_conforms(project)
    text = (project / "dvc.yaml").read_text()
    block = text[text.index("  featurize:") : text.index("  train:")]  # with the blank line after it
    numstat = git(project, "diff", "--numstat", "HEAD", "--", "dvc.yaml", "params.yaml").split()
    rewired = 4  # train's and evaluate's cmd and deps
    assert numstat == [str(block.count("\n") + rewired), str(rewired), "dvc.yaml", "3", "0", "params.yaml"]

    with (project / f"src/{package}/schemas.py").open("a") as schemas:
        schemas.write("# a change to the schemas module\n")
    status = json.loads(run("uv", "run", "dvc", "status", "--json"))
    stages = yaml.safe_load(text)["stages"]
    assert {name: "modified" for name in stages} == {
        name: changes[0]["changed deps"][f"src/{package}/schemas.py"] for name, changes in status.items()
    }


@pytest.mark.slow
def test_in_a_kubeflow_project_of_another_task_the_compiled_pipeline_runs_the_new_stage(
    tmp_path: Path,
) -> None:
    """Multiclass, orchestrated by Kubeflow: the new stage is a task between prepare and train, and the
    project's own test runs the compiled tasks in order, as KFP would (the pipeline, featurize included)."""
    project = render_into(tmp_path, {"task": "multiclass", "orchestrator": "kubeflow"})
    run = runner(project)
    run("uv", "sync", "--locked", "--quiet")
    assert add_stage(project, "featurize", "--after", "prepare")[0] == 0

    run("make", "kubeflow")
    tasks = yaml.safe_load((project / "pipelines/pipeline.yaml").read_text())["root"]["dag"]["tasks"]
    upstream = {name: sorted(task.get("dependentTasks", [])) for name, task in tasks.items()}
    assert upstream == {
        "prepare": [],
        "featurize": ["prepare"],
        "train": ["featurize"],
        "evaluate": ["featurize", "train"],
    }
    tests = ["tests/stages/test_featurize.py", "tests/test_kubeflow.py"]  # the other stages are unchanged
    assert " passed" in run("uv", "run", "pytest", "-q", "-p", "no:cacheprovider", *tests)
    written = [f"src/{Project.find(project).package}/stages/featurize.py", *tests[:1]]
    run("uv", "run", "ruff", "check", *written)
    run("uv", "run", "ruff", "format", "--check", *written)
    assert_conforms(project)


@pytest.mark.slow
def test_in_an_airflow_gitlab_project_the_dag_runs_the_new_stage_and_the_pipeline_stays_valid(
    tmp_path: Path,
) -> None:
    """Regression, orchestrated by Airflow, on GitLab: the pipeline DAG (built from dvc.yaml when Airflow
    parses it) has the new stage between prepare and train, the project's own DAG tests pass on it, and
    `.gitlab-ci.yml` (which runs `dvc repro`, not a stage list) still validates and conforms."""
    options = {"task": "regression", "orchestrator": "airflow", "ci_provider": "gitlab"}
    project = render_into(tmp_path, options)
    run = runner(project)
    run("uv", "sync", "--locked", "--quiet")
    assert add_stage(project, "featurize", "--after", "prepare")[0] == 0

    tests = ["tests/stages/test_featurize.py", "tests/test_airflow.py", "tests/test_gitlab_ci.py"]
    # All but `dag.test()`, which the option matrix runs once: it trains through Airflow, minutes here
    output = run("uv", "run", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *tests, "-k", "not dag_test")
    assert "PASSED tests/test_airflow.py::test_the_pipeline_dag_is_dvc_yamls_graph" in output
    assert "featurize" in yaml.safe_load((project / "dvc.yaml").read_text())["stages"]
    assert_conforms(project)


def test_add_stage_imports_no_heavy_library(project: Path) -> None:
    arguments = ["add-stage", "featurize", "--after", "prepare", "--project", str(project)]
    probe = (
        "import sys\n"
        "from scaffold.cli import cli\n"
        f"cli({arguments!r}, standalone_mode=False)\n"
        "heavy = {'mlflow', 'dvc', 'pandas', 'jinja2'}\n"
        "print(sorted({name.split('.')[0] for name in sys.modules} & heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert (project / "src/customer_churn/stages/featurize.py").is_file()


def test_the_project_still_conforms_after_adding_a_stage(project: Path) -> None:
    assert add_stage(project, "featurize", "--after", "prepare", "--params", "scale=1.5")[0] == 0
    assert_conforms(project)
