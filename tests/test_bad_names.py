"""Bad answers are refused before anything is written: one message naming the answer, exit 2, no directory."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from conftest import REPO_ROOT

BAD_SLUGS = {
    "": "must name a new directory",
    ".": "must name a new directory",
    "..": "must name a new directory",
    "   ": "is empty",
    "a/b": "path separator",
    "/tmp/evil": "path separator",
    "..\\up": "path separator",
    "../escape": "path separator",
    "a..b": "contains '..'",
    "my project": "white space",
    "tab\there": "white space",
    "rm;-rf": "shell metacharacter ';'",
    "a&&b": "shell metacharacter '&'",
    "$(whoami)": "shell metacharacter",
    "`id`": "shell metacharacter '`'",
    "a|b": "shell metacharacter '|'",
    "x>y": "shell metacharacter '>'",
    "star*": "shell metacharacter '*'",
    "-leading-dash": "must be lower-case letters",
    ".hidden": "must be lower-case letters",
    "trailing-": "must be lower-case letters",
    "UpperCase": "must be lower-case letters",
    "naïve": "must be lower-case letters",
    "x" * 101: "longer than 100 characters",
}

BAD_PACKAGES = {
    "": "is empty",
    "1abc": "not a Python identifier",
    "my-package": "not a Python identifier",
    "has space": "not a Python identifier",
    "class": "Python keyword",
    "import": "Python keyword",
    "match": "Python keyword",
    "json": "standard library",
    "test": "standard library",
    "os": "standard library",
    "typing": "standard library",
    "mlflow": "depends on",
    "dvc": "depends on",
    "pandas": "depends on",
    "sklearn": "depends on",
    "tests": "depends on",
    "CamelCase": "lower-case ASCII",
    "café": "lower-case ASCII",
}

OTHER_BAD_ANSWERS = {
    "project_name": ("", "is empty"),
    "description": ('Say "hi"', "may not contain double quotes"),
    "author_name": ("Back\\slash", "may not contain double quotes, backslashes"),
    "python_version": ("2.7", "from 3.11 on"),
    "author_email": ("not-an-email", "not an e-mail"),
    "mlflow_tracking_uri": ("mlflow.db", "must be a URI"),
    "dvc_remote_url": ("s3://bucket/with space", "white space"),
    "model_name": ("my model", "must start with a letter or digit"),
}


def scaffold_new(output_dir: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffold", "new", "--no-input", "-o", str(output_dir), *answers],
        capture_output=True,
        text=True,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], name: str, reason: str, output: Path) -> None:
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith(f"error: {name} "), result.stderr
    assert reason in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert list(output.iterdir()) == [], "a refused render left files behind"


PRE_GEN_HOOK = REPO_ROOT / "template" / "hooks" / "pre_gen_project.py"


def hook_source() -> str:
    """The pre-generation hook as plain Python: its Jinja answer placeholders replaced by empty strings."""
    return re.sub(r"\{\{.*?\}\}", '""', PRE_GEN_HOOK.read_text(encoding="utf-8"))


def refusals(function: str) -> list[str]:
    """What a check function of the hook can return: its literal messages, each f-string's literal start."""
    [definition] = [
        node
        for node in ast.walk(ast.parse(hook_source()))
        if isinstance(node, ast.FunctionDef) and node.name == function
    ]
    messages = []
    for node in ast.walk(definition):
        value = node.value if isinstance(node, ast.Return) else None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            messages.append(value.value)
        elif isinstance(value, ast.JoinedStr) and isinstance(value.values[0], ast.Constant):
            messages.append(str(value.values[0].value))
    return messages


@pytest.mark.parametrize(
    ("function", "corpus"), [("slug_problem", BAD_SLUGS), ("package_problem", BAD_PACKAGES)]
)
def test_the_corpus_gets_every_refusal_the_hook_can_give(function: str, corpus: dict[str, str]) -> None:
    """A new refusal in the hook needs a bad name here that gets it; a refusal no name reaches is dead."""
    namespace: dict[str, object] = {"__name__": "pre_gen_project"}
    exec(compile(hook_source(), str(PRE_GEN_HOOK), "exec"), namespace)
    check = namespace[function]
    assert callable(check)
    given = [str(check(name)) for name in corpus]
    possible = refusals(function)
    assert len(possible) >= 5, possible  # the function's messages were found
    missing = [message for message in possible if not any(got.startswith(message) for got in given)]
    assert missing == [], f"no bad name in the corpus gets these refusals: {missing}"


@pytest.mark.parametrize(("slug", "reason"), BAD_SLUGS.items(), ids=repr)
def test_bad_slug_is_refused(tmp_path: Path, slug: str, reason: str) -> None:
    result = scaffold_new(tmp_path, f"project_slug={slug}", "package_name=fine_name")
    assert_refused(result, "project_slug", reason, tmp_path)


@pytest.mark.parametrize(("package", "reason"), BAD_PACKAGES.items(), ids=repr)
def test_bad_package_name_is_refused(tmp_path: Path, package: str, reason: str) -> None:
    result = scaffold_new(tmp_path, f"package_name={package}")
    assert_refused(result, "package_name", reason, tmp_path)


@pytest.mark.parametrize(("name", "value_and_reason"), OTHER_BAD_ANSWERS.items())
def test_other_bad_answers_are_refused(tmp_path: Path, name: str, value_and_reason: tuple[str, str]) -> None:
    value, reason = value_and_reason
    result = scaffold_new(tmp_path, f"{name}={value}", "project_slug=fine-name")
    assert_refused(result, name, reason, tmp_path)


@pytest.mark.parametrize("slug", ["my project", "rm;-rf", "..\\up", "$(whoami)"])
def test_plain_cookiecutter_also_refuses_and_cleans_up(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], slug: str
) -> None:
    with pytest.raises(FailedHookException):
        cookiecutter(
            str(REPO_ROOT / "template"),
            no_input=True,
            output_dir=str(tmp_path),
            extra_context={"project_slug": slug, "package_name": "fine_name"},
        )
    assert "error: project_slug" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "value"), [("deploy_target", "helm"), ("orchestrator", "prefect"), ("license", "GPL")]
)
def test_a_value_outside_a_choice_list_is_refused(tmp_path: Path, name: str, value: str) -> None:
    result = scaffold_new(tmp_path, f"{name}={value}")
    assert_refused(result, name, "is not one of the choices", tmp_path)
