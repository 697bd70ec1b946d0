"""`scaffold check` where teams run it: this repository's GitHub Action, the generated project's CI job and
its pre-commit hook. Each runs for real here, from a wheel or a clone of this checkout instead of GitHub."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, dev_tool, git

ANNOTATION_PREFIX = "::error "


@pytest.fixture(scope="session")
def scaffold_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built as a wheel: what `uvx --from git+...@vX.Y.Z` installs from a release."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        ["uv", "build", "--wheel", "--quiet", "--out-dir", str(out), str(REPO_ROOT)], check=True, timeout=300
    )
    (wheel,) = out.glob("scaffold-*.whl")
    return wheel


@pytest.fixture
def project(default_project: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(default_project, copy, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    return copy


def run_steps(
    steps: list[dict[str, Any]], cwd: Path, env: Mapping[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Run the `run:` steps as the runner does (`bash -eo pipefail`), each with its own `env:` over `env`."""
    results = []
    for step in steps:
        if "run" not in step:
            continue
        step_env = {
            **os.environ,
            **env,
            **{k: v for k, v in step.get("env", {}).items() if "${{" not in str(v)},
        }
        results.append(
            subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=cwd,
                env=step_env,
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
        )
    return results


def runner_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    summary = tmp_path / "summary.md"
    summary.touch()
    return {
        "GITHUB_STEP_SUMMARY": str(summary),
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_ACTIONS": "true",
        **extra,
    }


# The composite action at the repository root.


def test_the_action_passes_zizmor_and_the_actions_schema() -> None:
    action = REPO_ROOT / "action.yml"
    zizmor = [
        dev_tool("zizmor"),
        "--offline",
        "--no-config",
        "--persona=auditor",
        "--min-severity=informational",
    ]
    result = subprocess.run(
        [*zizmor, "--min-confidence=low", "--format=json", action], capture_output=True, text=True
    )
    assert (result.returncode, json.loads(result.stdout or "[]")) == (0, []), result.stderr
    schema = [dev_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", action]
    result = subprocess.run(schema, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _action_env(tmp_path: Path, wheel: Path, project: Path, args: str = "") -> dict[str, str]:
    # What the action's `${{ }}` expressions give on a runner; the wheel stands in for the action's checkout.
    return runner_env(tmp_path, SCAFFOLD=str(wheel), PROJECT=str(project), ARGS=args)


def test_the_action_summarises_a_conforming_project_and_passes(
    scaffold_wheel: Path, project: Path, tmp_path: Path
) -> None:
    steps = yaml.safe_load((REPO_ROOT / "action.yml").read_text())["runs"]["steps"]
    env = _action_env(tmp_path, scaffold_wheel, project)

    results = run_steps(steps, project, env)

    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    summary = Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert "No findings" in summary
    sarif = json.loads((tmp_path / "scaffold-check.sarif").read_text())
    assert sarif["runs"][0]["results"] == []
    assert results[-1].stdout == ""


def test_the_action_annotates_and_fails_a_broken_project(
    scaffold_wheel: Path, project: Path, tmp_path: Path
) -> None:
    (project / "model_contract.yaml").unlink()
    steps = yaml.safe_load((REPO_ROOT / "action.yml").read_text())["runs"]["steps"]
    env = _action_env(tmp_path, scaffold_wheel, project, args="--select ST,MC")

    results = run_steps(steps, project, env)

    assert [r.returncode for r in results] == [0, 0, 1], [r.stderr for r in results]
    annotations = [line for line in results[-1].stdout.splitlines() if line.startswith(ANNOTATION_PREFIX)]
    assert annotations and all("file=model_contract.yaml" in line for line in annotations), results[-1].stdout
    assert "model_contract.yaml" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    sarif = json.loads((tmp_path / "scaffold-check.sarif").read_text())
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]
    }
    assert uris == {"model_contract.yaml"}


# The generated project's CI job and pre-commit hook.


def test_the_generated_ci_job_installs_the_release_that_rendered_the_project(default_project: Path) -> None:
    template = json.loads((REPO_ROOT / "template" / "cookiecutter.json").read_text())
    job = yaml.safe_load((default_project / ".github/workflows/ci.yml").read_text())["jobs"]["conformance"]

    assert job["env"]["SCAFFOLD"] == f"git+{template['_template_repo']}@v{template['_template_version']}"
    assert job["permissions"] == {"contents": "read", "security-events": "write"}
    uploads = [
        step for step in job["steps"] if step.get("uses", "").startswith("github/codeql-action/upload-sarif@")
    ]
    assert [step["with"]["sarif_file"] for step in uploads] == ["scaffold-check.sarif"]


def test_the_generated_ci_job_runs_scaffold_check_for_real(
    scaffold_wheel: Path, project: Path, tmp_path: Path
) -> None:
    job = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]["conformance"]
    env = runner_env(tmp_path, SCAFFOLD=str(scaffold_wheel))

    results = run_steps(job["steps"], project, env)

    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    assert "No findings" in Path(env["GITHUB_STEP_SUMMARY"]).read_text()
    assert json.loads((project / "scaffold-check.sarif").read_text())["runs"][0]["results"] == []


@pytest.mark.slow
def test_the_generated_pre_commit_hook_runs_scaffold_check(project: Path, tmp_path: Path) -> None:
    """The hook entry points at the template's repository: run it from a clone of this checkout instead."""
    template = json.loads((REPO_ROOT / "template" / "cookiecutter.json").read_text())
    config_path = project / ".pre-commit-config.yaml"
    config = yaml.safe_load(config_path.read_text())
    (scaffold_repo,) = [repo for repo in config["repos"] if repo["repo"] == template["_template_repo"]]
    assert scaffold_repo["rev"] == f"v{template['_template_version']}"
    assert scaffold_repo["hooks"] == [{"id": "scaffold-check"}]

    scaffold_repo.update(repo=str(REPO_ROOT), rev=git(REPO_ROOT, "rev-parse", "HEAD").strip())
    config["repos"] = [scaffold_repo]
    config_path.write_text(yaml.safe_dump(config))
    git(project, "add", "--all")
    pre_commit = [dev_tool("pre-commit"), "run", "scaffold-check", "--all-files"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}

    passing = subprocess.run(pre_commit, cwd=project, env=env, capture_output=True, text=True, timeout=900)
    (project / "model_contract.yaml").unlink()
    failing = subprocess.run(pre_commit, cwd=project, env=env, capture_output=True, text=True, timeout=300)

    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "scaffold check" in passing.stdout and "Passed" in passing.stdout
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "model_contract.yaml" in failing.stdout
