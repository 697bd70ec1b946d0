"""ci_provider=gitlab: `.gitlab-ci.yml` instead of `.github/`, valid against GitLab's CI schema for every task
and data source, conforming to `scaffold check`, whose GitLab Code Quality report the pipeline publishes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from conftest import TASKS, dev_tool, feature_spec, git, render_into
from scaffold.cli import cli

# Each task with the example's data, and the user's own table, each with a DVC remote of its own: every
# branch of the pipeline's data steps.
RENDERS = {
    **{
        f"{task}-example": {"task": task, "dvc_remote": remote}
        for task, remote in zip(TASKS, ["local", "s3", "gcs"], strict=True)
    },
    **{f"own-{remote}": {"dvc_remote": remote, "_own": "yes"} for remote in ("local", "gcs", "azure")},
}


def own_data_answers(default_project: Path) -> dict[str, Any]:
    """The answers `scaffold new --data` gives for a table: the example's churn table, as a user's own."""
    from scaffold.tables.project import data_answers

    table = default_project / "data/raw/churn.csv"
    spec = feature_spec(default_project)
    answers = data_answers(
        table, target=spec["TARGET"], task=None, id_column=None, protected_attribute=None, extra={}, say=print
    )
    return {key: value for key, value in answers.items() if key.startswith("_")}


@pytest.fixture(scope="module")
def gitlab_renders(tmp_path_factory: pytest.TempPathFactory, default_project: Path) -> dict[str, Path]:
    """The files of each render (`_files_only`: no git, DVC or lock file, as `scaffold update` renders)."""
    own = own_data_answers(default_project)
    renders = {}
    for name, options in RENDERS.items():
        context: dict[str, Any] = {"ci_provider": "gitlab", "_files_only": True, **options}
        if context.pop("_own", None):
            context.update(own)
        renders[name] = render_into(tmp_path_factory.mktemp(name), context)
    return renders


@pytest.fixture(scope="session")
def gitlab_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_into(tmp_path_factory.mktemp("gitlab"), {"ci_provider": "gitlab"})


def pipeline(project: Path) -> dict[str, Any]:
    loaded = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_every_render_matches_gitlabs_ci_schema(gitlab_renders: dict[str, Path]) -> None:
    files = [str(project / ".gitlab-ci.yml") for project in gitlab_renders.values()]
    result = subprocess.run(
        [dev_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_a_gitlab_render_has_no_github_and_no_template_syntax(
    gitlab_renders: dict[str, Path], name: str
) -> None:
    project = gitlab_renders[name]
    assert not (project / ".github").exists()
    assert not (project / "tests/monitor/test_workflow.py").exists()
    assert (project / "tests/test_gitlab_ci.py").is_file()
    for relative in (".gitlab-ci.yml", ".pre-commit-config.yaml", "tests/test_gitlab_ci.py", "README.md"):
        text = (project / relative).read_text(encoding="utf-8")
        for marker in ("{{", "}}", "{%", "%}", "{#"):
            assert marker not in text, f"{relative} still contains {marker!r}"
    assert "zizmor" not in (project / "pyproject.toml").read_text()  # GitHub Actions only


@pytest.mark.parametrize("name", ["own-local", "own-gcs", "binary-example"])
def test_the_data_steps_suit_the_data_source(gitlab_renders: dict[str, Path], name: str) -> None:
    check = pipeline(gitlab_renders[name])["check"]["script"]
    text = "\n".join(check)
    if name == "own-local":  # a runner cannot reach a directory on the user's machine: said, not failed
        assert "local DVC remote, which CI cannot reach" in text and "dvc repro" in text
        assert "dvc pull" not in text
    elif name == "own-gcs":
        assert "GOOGLE_APPLICATION_CREDENTIALS" in text and "dvc pull data/raw/" in text
    else:
        assert ".example_data" in text


def test_no_job_with_an_environment_runs_for_merge_requests(gitlab_project: Path) -> None:
    """What GitLab's protected, environment-scoped variables rely on: rules, checked by CI103 too."""
    from scaffold.check.fixtures import parse_yaml
    from scaffold.check.rules.workflows import gitlab_jobs, runs_for_merge_requests

    jobs = gitlab_jobs(parse_yaml(gitlab_project, ".gitlab-ci.yml"))
    deploying = {name for name, job in jobs.items() if "environment" in job}
    assert deploying == {
        "train",
        "retrain-on-drift",
        "export-model",
        "deploy-staging",
        "deploy-production",
    }
    assert [name for name in deploying if runs_for_merge_requests(jobs[name])] == []
    assert runs_for_merge_requests(jobs["check"]) and runs_for_merge_requests(jobs["conformance"])


def tracked_files(project: Path) -> set[str]:
    return set(git(project, "ls-files").splitlines())


def test_a_gitlab_render_stages_exactly_the_default_files_but_ci(
    gitlab_project: Path, default_project: Path
) -> None:
    github = {name for name in tracked_files(default_project) if name.startswith(".github/")}
    assert github and tracked_files(gitlab_project) - tracked_files(default_project) == {
        ".gitlab-ci.yml",
        "tests/test_gitlab_ci.py",
    }
    assert tracked_files(default_project) - tracked_files(gitlab_project) == {
        *github,
        "tests/monitor/test_workflow.py",
        "src/customer_churn/approvals.py",  # the deploy workflow's approval check: GitLab enforces its own
        "tests/test_approvals.py",
    }


def test_a_job_with_an_environment_opened_to_merge_requests_is_ci103(
    gitlab_project: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(gitlab_project, project, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    ci = project / ".gitlab-ci.yml"
    text = ci.read_text()
    opened = "deploy-staging:\n  extends: [.deploy]\n  needs: [build-image]\n  rules:\n"
    assert opened in text
    ci.write_text(text.replace(opened, opened + '    - if: $CI_PIPELINE_SOURCE == "merge_request_event"\n'))

    result = CliRunner().invoke(cli, ["check", str(project), "--format", "concise"])

    line = text.splitlines().index("deploy-staging:") + 1
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f".gitlab-ci.yml:{line}:1: CI103 .gitlab-ci.yml: job `deploy-staging` has an environment and can run "
        "for merge requests"
    ]


def test_a_gitlab_project_conforms(gitlab_project: Path) -> None:
    result = CliRunner().invoke(cli, ["check", str(gitlab_project)])
    assert result.exit_code == 0, result.output
    assert result.stdout == "No findings; 0 rules skipped\n"


def test_a_broken_pipeline_is_a_code_quality_report(gitlab_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(gitlab_project, project, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    ci = project / ".gitlab-ci.yml"
    text = ci.read_text()
    assert text.count("    - uv run pytest\n") == 1
    ci.write_text(text.replace("    - uv run pytest\n", "    - uv run python -m unittest\n"))
    report = project / "gl-code-quality-report.json"

    result = CliRunner().invoke(
        cli, ["check", str(project), "--format", "gitlab", "--output-file", str(report)]
    )

    assert result.exit_code == 1
    issues = json.loads(report.read_text())
    assert [(issue["check_name"], issue["location"]) for issue in issues] == [
        ("CI101 tests-not-in-ci", {"path": ".gitlab-ci.yml", "lines": {"begin": 1}})
    ]
    assert issues[0]["severity"] == "major" and len(issues[0]["fingerprint"]) == 64
