"""`scaffold update`, told as stories: build template v1, render a project, edit it as a user, build v2,
update, and read the exact text and `git status` that result."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conftest import REPO_ROOT, fail_replace_on, git
from scaffold import __version__
from scaffold.cli import cli
from scaffold.render import render
from scaffold.update import apply_update, plan_update
from scaffold.update.renders import hook_made, render_files
from scaffold.update.sources import installed_template

SLUG = "{{cookiecutter.project_slug}}"
CI = ".github/workflows/ci.yml"
CONFLICT = (
    "<<<<<<< your project\n\tuv run pytest -x\n=======\n\tuv run pytest --quiet\n>>>>>>> template 2.0.0\n"
)
NEW_STEP = """
      - name: Check the project against the template
        run: uvx --from scaffold-mlops scaffold check
"""


def scaffold(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def commit_all(directory: Path, message: str) -> None:
    git(directory, "add", "--all")
    git(directory, "commit", "--quiet", "--no-verify", "-m", message)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {path}: the template changed, update the test"
    path.write_text(text.replace(old, new))


def set_version(template: Path, version: str, repo: Path, **variables: str) -> None:
    config_path = template / "cookiecutter.json"
    config = json.loads(config_path.read_text())
    config.update(variables, _template_version=version, _template_repo=repo.as_uri())
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def release(repo: Path, version: str) -> None:
    commit_all(repo, f"Template {version}")
    git(repo, "tag", f"v{version}")


@pytest.fixture(scope="session")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A template repository with tags v1.0.0 and v2.0.0 (the real template, then three edits and a new
    variable), and a project rendered from v1.0.0 and committed."""
    repo = tmp_path_factory.mktemp("template-repo")
    template = repo / "template"
    shutil.copytree(REPO_ROOT / "template", template, ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "--quiet")
    set_version(template, "1.0.0", repo)
    release(repo, "1.0.0")
    project = render(tmp_path_factory.mktemp("v1"), template=template)
    commit_all(project, "Start from the scaffold template")

    makefile = template / SLUG / "Makefile"
    edit(
        makefile,
        "setup:  ## Create .venv with the locked dependencies\n\tuv sync\n",
        "setup:  ## Create .venv with the locked dependencies\n\tuv sync --locked\n",
    )
    edit(makefile, "\tuv run pytest\n", "\tuv run pytest --quiet\n")
    edit(template / SLUG / CI, "        run: uv run pytest\n", "        run: uv run pytest\n" + NEW_STEP)
    set_version(template, "2.0.0", repo, docker_registry="ghcr.io")
    release(repo, "2.0.0")
    return repo, project


@pytest.fixture
def project(story: tuple[Path, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(story[1], copy, symlinks=True)
    return copy


def user_edits_the_test_target(project: Path) -> None:
    edit(project / "Makefile", "\tuv run pytest\n", "\tuv run pytest -x\n")
    commit_all(project, "Stop at the first failure")


def answers(project: Path) -> dict[str, str]:
    return json.loads((project / ".scaffold-answers.json").read_text())["cookiecutter"]


def test_update_keeps_the_users_edit_applies_the_templates_and_lists_the_conflict(project: Path) -> None:
    user_edits_the_test_target(project)

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 1
    assert result.stdout == (
        "Updated from template 1.0.0 to 2.0.0:\n"
        "  M .github/workflows/ci.yml\n  M .pre-commit-config.yaml\n"
        "  M .scaffold-answers.json\n  M Makefile\n"
    )
    assert "conflict: Makefile" in result.stderr
    makefile = (project / "Makefile").read_text()
    assert "\tuv sync --locked\n" in makefile  # the template's edit, on a line the user left alone
    assert "test:  ## Run the tests\n" + CONFLICT in makefile
    assert "        run: uv run pytest\n" + NEW_STEP in (project / CI).read_text()
    assert answers(project)["_template_version"] == "2.0.0"
    assert "    rev: v2.0.0\n" in (project / ".pre-commit-config.yaml").read_text()  # the hook moves along
    assert answers(project)["docker_registry"] == "ghcr.io"  # the new variable's default (--no-input)
    assert (
        git(project, "status", "--short")
        == " M .github/workflows/ci.yml\n M .pre-commit-config.yaml\n M .scaffold-answers.json\n M Makefile\n"
    )


def test_check_reports_the_conflict_markers_left(project: Path) -> None:
    user_edits_the_test_target(project)
    scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    result = scaffold("check", str(project), "--select", "TV103", "--format", "concise")

    line = (project / "Makefile").read_text().splitlines().index("<<<<<<< your project") + 1
    assert result.exit_code == 1
    assert f"Makefile:{line}:" in result.stdout
    assert result.stdout.count("TV103") == 2  # the <<<<<<< and the >>>>>>> lines


@pytest.mark.slow
def test_after_resolving_the_conflict_the_project_runs(project: Path) -> None:
    user_edits_the_test_target(project)
    scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))
    makefile = project / "Makefile"
    edit(
        makefile,
        CONFLICT,
        "\tuv run pytest -x --quiet\n",
    )
    commit_all(project, "Update to template 2.0.0")

    assert scaffold("check", str(project), "--select", "TV").exit_code == 0
    # `make test` runs the target as resolved; the tests of the pipeline are enough to show the project runs
    # (the update changed the Makefile only, and the option matrix runs the whole suite of this render).
    focus = {**os.environ, "PYTEST_ADDOPTS": "-p no:cacheprovider tests/stages tests/test_pipeline.py"}
    for command in (["uv", "sync", "--quiet"], ["uv", "run", "dvc", "repro"], ["make", "test"]):
        run = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False, env=focus)
        assert run.returncode == 0, f"{' '.join(command)}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert " passed" in run.stdout


def test_an_answer_for_the_new_variable_comes_from_extra_context(project: Path) -> None:
    result = scaffold(
        "update", "--to", "2.0.0", "--extra-context", "docker_registry=quay.io", "--project", str(project)
    )

    assert result.exit_code == 0, result.output  # no user edit: no conflict
    assert answers(project)["docker_registry"] == "quay.io"
    assert "\tuv run pytest --quiet\n" in (project / "Makefile").read_text()


def test_a_failure_while_writing_the_update_changes_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_edits_the_test_target(project)
    plan = plan_update(project, to_version="2.0.0", extra={})
    assert len(plan.contents) == 4  # ci.yml and .pre-commit-config.yaml name the version, answers, Makefile
    fail_replace_on(monkeypatch, 3)
    with pytest.raises(OSError, match="injected"):
        apply_update(plan)
    assert git(project, "status", "--short", "--untracked-files=all") == ""


def test_a_new_variable_is_asked_for_without_no_input(project: Path) -> None:
    result = CliRunner().invoke(
        cli, ["update", "--to", "2.0.0", "--project", str(project)], input="quay.io\n"
    )

    assert result.exit_code == 0, result.output
    assert "docker_registry" in result.output
    assert answers(project)["docker_registry"] == "quay.io"


def test_to_git_url_and_ref(story: tuple[Path, Path], project: Path) -> None:
    result = scaffold(
        "update", "--to-git", f"{story[0].as_uri()}@v2.0.0", "--no-input", "--project", str(project)
    )

    assert result.exit_code == 0, result.output
    assert answers(project)["_template_version"] == "2.0.0"


def test_an_airflow_gitlab_project_moves_to_the_new_version(story: tuple[Path, Path], tmp_path: Path) -> None:
    """Rendered from 1.0.0 with orchestrator=airflow and ci_provider=gitlab, updated to 2.0.0: the template's
    Makefile edits apply, the DAGs stay as they were, .gitlab-ci.yml pins the new version's `scaffold check`,
    and the GitHub workflow that 2.0.0 changed stays out of the project (its options rule it out)."""
    v1 = tmp_path / "v1"
    git(tmp_path, "clone", "--quiet", "--branch", "v1.0.0", str(story[0]), str(v1))
    options = {"orchestrator": "airflow", "ci_provider": "gitlab"}
    project = render(tmp_path / "out", options, template=v1 / "template")
    commit_all(project, "Start from the scaffold template")
    before = {path: (project / path).read_text() for path in (".gitlab-ci.yml", "dags/pipeline.py")}

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Updated from template 1.0.0 to 2.0.0:\n"
        "  M .gitlab-ci.yml\n  M .pre-commit-config.yaml\n  M .scaffold-answers.json\n  M Makefile\n"
    )
    makefile = (project / "Makefile").read_text()
    assert "\tuv sync --locked\n" in makefile and "\tuv run pytest --quiet\n" in makefile
    assert (project / "dags/pipeline.py").read_text() == before["dags/pipeline.py"]
    pinned = before[".gitlab-ci.yml"].replace("@v1.0.0\n", "@v2.0.0\n")
    assert pinned != before[".gitlab-ci.yml"] and (project / ".gitlab-ci.yml").read_text() == pinned
    assert not (project / ".github").exists()
    assert {answers(project)[key] for key in options} == set(options.values())


@pytest.fixture
def three_versions(story: tuple[Path, Path], tmp_path: Path) -> Path:
    """A copy of the story's template repository with an untagged 3.0.0 commit on top: HEAD is not v2.0.0."""
    repo = tmp_path / "template-repo"
    shutil.copytree(story[0], repo, symlinks=True)
    set_version(repo / "template", "3.0.0", repo)
    commit_all(repo, "Template 3.0.0, not released")
    return repo


@pytest.mark.parametrize(
    ("ref", "version"),
    [("COMMIT", "2.0.0"), ("SHORT", "2.0.0"), ("HEAD", "3.0.0"), ("main", "3.0.0")],
    ids=["full-commit-id", "short-commit-id", "HEAD", "branch"],
)
def test_to_git_takes_any_ref(three_versions: Path, project: Path, ref: str, version: str) -> None:
    commit = git(three_versions, "rev-parse", "v2.0.0^{commit}").strip()
    named = {"COMMIT": commit, "SHORT": commit[:10]}.get(ref, ref)
    git(three_versions, "branch", "--quiet", "--move", "main")  # whatever the default branch was called

    for url in (three_versions.as_uri(), str(three_versions)):  # a file:// URL and a plain path, offline
        copy = project.parent / f"project-{len(list(project.parent.iterdir()))}"
        shutil.copytree(project, copy, symlinks=True)
        result = scaffold("update", "--to-git", f"{url}@{named}", "--no-input", "--project", str(copy))

        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"Updated from template 1.0.0 to {version}:\n"), result.stdout
        assert answers(copy)["_template_version"] == version


def test_a_dirty_tree_is_refused_and_left_alone(project: Path) -> None:
    (project / "README.md").write_text("mine\n")

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 2
    assert "uncommitted changes (README.md)" in result.stderr
    assert git(project, "status", "--short") == " M README.md\n"
    assert answers(project)["_template_version"] == "1.0.0"


def test_dry_run_prints_the_patch_and_changes_nothing(project: Path) -> None:
    user_edits_the_test_target(project)

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--dry-run", "--project", str(project))

    assert result.exit_code == 1  # the conflict it would leave
    assert "--- a/Makefile\n+++ b/Makefile\n" in result.stdout
    assert "-\tuv sync\n+\tuv sync --locked\n" in result.stdout
    assert "+<<<<<<< your project\n" in result.stdout
    assert "conflict: Makefile" in result.stderr
    assert git(project, "status", "--short") == ""


def test_a_version_nowhere_to_be_found_is_an_error_naming_both_sources(project: Path, tmp_path: Path) -> None:
    path = project / ".scaffold-answers.json"
    recorded = json.loads(path.read_text())
    recorded["cookiecutter"]["_template_repo"] = str(tmp_path / "gone")
    path.write_text(json.dumps(recorded, indent=2))
    commit_all(project, "Point at a template repository that is gone")

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 2
    assert f"the installed scaffold has template {__version__}" in result.stderr
    assert str(tmp_path / "gone") in result.stderr
    assert git(project, "status", "--short") == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--to", "9.9.9"], "template 9.9.9 is not available"),
        (["--to-git", "REPO@v9.9.9"], "cannot fetch the template at REPO@v9.9.9: it has no branch, tag or"),
        (["--to-git", f"REPO@{'0' * 40}"], f"it has no branch, tag or commit '{'0' * 40}'"),
        (["--to-git", "REPO@abc0000"], "it has no branch, tag or commit 'abc0000'"),
        (["--to-git", "no-ref-given"], "--to-git expects URL@REF"),
        (["--to", "2.0.0", "--to-git", "REPO@v2.0.0"], "--to and --to-git name two targets"),
    ],
    ids=["unknown-version", "unknown-ref", "unknown-commit", "unknown-short-commit", "no-ref", "two-targets"],
)
def test_a_bad_target_is_refused(
    story: tuple[Path, Path], project: Path, arguments: list[str], message: str
) -> None:
    arguments = [argument.replace("REPO", story[0].as_uri()) for argument in arguments]
    message = message.replace("REPO", story[0].as_uri())

    result = scaffold("update", *arguments, "--no-input", "--project", str(project))

    assert result.exit_code == 2
    assert message in result.stderr
    assert git(project, "status", "--short") == ""


def test_a_project_without_answers_is_refused(project: Path) -> None:
    git(project, "rm", "--quiet", ".scaffold-answers.json")
    commit_all(project, "No answers")

    result = scaffold("update", "--project", str(project))

    assert result.exit_code == 2
    assert ".scaffold-answers.json: missing" in result.stderr


def test_an_up_to_date_project_is_left_as_it_is(project: Path) -> None:
    result = scaffold("update", "--to", "1.0.0", "--project", str(project))

    assert result.exit_code == 0
    assert result.stdout == "Up to date with template 1.0.0: nothing to change.\n"
    assert git(project, "status", "--short") == ""


def test_an_unknown_variable_is_refused(project: Path) -> None:
    result = scaffold("update", "--to", "2.0.0", "--extra-context", "colour=blue", "--project", str(project))

    assert result.exit_code == 2
    assert "template 2.0.0 has no variable 'colour'" in result.stderr


def test_the_template_version_is_the_package_version() -> None:
    assert installed_template().version == __version__


def test_the_files_only_render_lacks_exactly_the_hook_made_files(
    default_project: Path, tmp_path: Path
) -> None:
    recorded = json.loads((default_project / ".scaffold-answers.json").read_text())["cookiecutter"]
    replay = {key: value for key, value in recorded.items() if not key.startswith("_")}
    rendered = render_files(installed_template(), replay, tmp_path)

    def files(root: Path) -> set[str]:
        return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}

    made = files(default_project) - files(rendered)
    listed = hook_made(installed_template().config, recorded)  # from the template's own declaration
    owners = {entry for name in made for entry in listed if name == entry or name.startswith(f"{entry}/")}
    assert owners == set(listed)  # every file the full hook made is listed, and every entry is made
    assert all(any(name == e or name.startswith(f"{e}/") for e in listed) for name in made)
    assert (rendered / ".scaffold-answers.json").read_bytes() == (
        default_project / ".scaffold-answers.json"
    ).read_bytes()


# A small template from a dict of files: what the 3-way merge does with renames, deletions and binary files.

HOOK = """import json, pathlib
answers = json.loads({{ cookiecutter | jsonify | tojson }})
pathlib.Path(".scaffold-answers.json").write_text(json.dumps({"cookiecutter": answers}))
"""


def small_template(
    repo: Path, version: str, files: Mapping[str, str | bytes], options: Mapping[str, Any] | None = None
) -> None:
    template = repo / "template"
    shutil.rmtree(template, ignore_errors=True)
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "post_gen_project.py").write_text(HOOK)
    config = {"project_slug": "demo", **(options or {})}
    config.update(_template_version=version, _template_repo=repo.as_uri())
    (template / "cookiecutter.json").write_text(json.dumps(config))
    for name, content in files.items():
        path = template / SLUG / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    release(repo, version)


def small_project(
    tmp_path: Path,
    v1: Mapping[str, str | bytes],
    edits: Mapping[str, str | bytes],
    options: Mapping[str, Any] | None = None,
) -> Path:
    """Template v1 in a new git repository (returned) and a project made from it, with the user's edits."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet")
    small_template(repo, "1.0.0", v1, options)
    project = render(tmp_path / "out", template=repo / "template")
    git(project, "init", "--quiet")
    for name, content in edits.items():
        (project / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    commit_all(project, "Mine")
    return repo


NOTES = "".join(f"note {n}\n" for n in range(20))


def test_renames_deletions_and_binary_files(tmp_path: Path) -> None:
    v1 = {"notes.txt": NOTES, "old.txt": "old\n", "logo.png": b"\x89PNG\0v1", "keep.txt": "k\n"}
    repo = small_project(tmp_path, v1, {"notes.txt": NOTES.replace("note 3\n", "note 3, mine\n")})
    v2 = {
        "docs/notes.txt": NOTES.replace("note 19", "note 19, moved"),
        "logo.png": b"\x89PNG\0v2",
        "keep.txt": "k\n",
    }
    small_template(repo, "2.0.0", v2)
    project = tmp_path / "out" / "demo"

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 0, result.output
    moved = NOTES.replace("note 3\n", "note 3, mine\n").replace("note 19", "note 19, moved")
    assert (project / "docs/notes.txt").read_text() == moved  # the template moved it, with the user's edit
    assert (project / "logo.png").read_bytes() == b"\x89PNG\0v2"
    assert not (project / "old.txt").exists()
    assert git(project, "status", "--short") == (
        " M .scaffold-answers.json\n R notes.txt -> docs/notes.txt\n M logo.png\n D old.txt\n"
    )


def test_binary_and_delete_conflicts_keep_the_users_files_and_are_listed(tmp_path: Path) -> None:
    v1 = {"logo.png": b"\x89PNG\0v1", "old.txt": "old\n"}
    repo = small_project(tmp_path, v1, {"logo.png": b"\x89PNG\0mine", "old.txt": "old, mine\n"})
    small_template(repo, "2.0.0", {"logo.png": b"\x89PNG\0v2"})
    project = tmp_path / "out" / "demo"

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 1
    assert "conflict: logo.png\n  conflict: old.txt\n" in result.stderr
    assert "deleted in template 2.0.0 and modified in your project" in result.stderr
    assert (project / "logo.png").read_bytes() == b"\x89PNG\0mine"
    assert (project / "old.txt").read_text() == "old, mine\n"
    assert git(project, "status", "--short") == " M .scaffold-answers.json\n"


DEPLOY_OPTION = {
    "deploy_target": ["docker", "kubernetes"],
    "_files_for": {"deploy_target": {"kubernetes": ["k8s"]}},
}


def test_files_the_answers_rule_out_stay_out_whatever_the_hook_does(tmp_path: Path) -> None:
    """Update reads `_files_for` from each version's own cookiecutter.json: this template's hook removes
    nothing, and a docker project still gets none of the template's change to k8s/."""
    repo = small_project(tmp_path, {"app.txt": "a\n", "k8s/app.yaml": "replicas: 1\n"}, {}, DEPLOY_OPTION)
    project = tmp_path / "out" / "demo"
    git(project, "rm", "-r", "--quiet", "k8s")  # what a full hook does for deploy_target=docker
    commit_all(project, "Docker only")
    small_template(repo, "2.0.0", {"app.txt": "a\n", "k8s/app.yaml": "replicas: 2\n"}, DEPLOY_OPTION)

    result = scaffold("update", "--to", "2.0.0", "--no-input", "--project", str(project))

    assert result.exit_code == 0, result.output
    assert not (project / "k8s").exists()
    assert git(project, "status", "--short") == " M .scaffold-answers.json\n"
